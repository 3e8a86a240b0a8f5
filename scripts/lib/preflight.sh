# Shared by scripts/deploy and scripts/destroy: checks the machine, then sets up a local Pulumi backend.
# Sourced, not executed. Every failure says what to install or set.

fail() { printf 'switchyard: %s\n' "$*" >&2; exit 1; }
note() { printf 'switchyard: %s\n' "$*"; }

# The target named in the stack file of $STACK (default dev): "aws", or empty for the default (docker).
stack_target() {
  local file="Pulumi.${STACK:-dev}.yaml"
  [ -f "$file" ] || return 0
  sed -n 's/^ *switchyard:target: *"\{0,1\}\([a-z]*\)"\{0,1\} *$/\1/p' "$file" | head -n 1
}

preflight() {
  command -v node >/dev/null || fail "Node.js is not installed. Install Node.js 20 or newer, then run this again."
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || fail "Node.js $(node -v) is too old: switchyard needs Node.js 20 or newer."
  command -v pulumi >/dev/null || fail "the Pulumi CLI is not installed. Install it (https://www.pulumi.com/docs/install/) and make sure 'pulumi' is on PATH, then run this again."
  if [ "$(stack_target)" = aws ]; then
    # The aws target runs Docker on the EC2 hosts, reached over ssh: no local daemon needed.
    command -v ssh >/dev/null || fail "ssh is not installed: the aws target reaches each host's Docker over ssh. Install OpenSSH (Debian: apt-get install openssh-client), then run this again."
    return 0
  fi
  command -v docker >/dev/null || fail "the Docker CLI is not installed. Install Docker Engine (Debian: apt-get install docker.io) and start it."
  docker info >/dev/null 2>&1 || fail "cannot reach a Docker daemon${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST}. Start Docker (e.g. 'sudo systemctl start docker' or 'sudo dockerd &'), or set DOCKER_HOST, then run this again."
}

# A local file backend by default: no Pulumi account needed. PULUMI_BACKEND_URL wins when set.
local_backend() {
  local state="${SWITCHYARD_STATE_DIR:-$PWD/.pulumi-state}"
  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    mkdir -p "$state"
    export PULUMI_BACKEND_URL="file://$state"
    note "using the local state backend $PULUMI_BACKEND_URL (set PULUMI_BACKEND_URL to use another)"
  fi
  # Secrets in a local stack are encrypted with a passphrase. Unless one is given, a random one is made once,
  # readable by you only, and kept OUTSIDE the state folder: a copy or backup of .pulumi-state (or a leaked
  # one) must not carry the key that decrypts it. One file per state folder, named by a hash of its path.
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    local dir="${SWITCHYARD_PASSPHRASE_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/switchyard}"
    local id
    id="$(printf '%s' "$state" | sha256sum | cut -c1-16)"
    local file="$dir/passphrase-$id"
    (umask 077; mkdir -p "$dir")
    if [ ! -f "$file" ] && [ -f "$state/passphrase" ]; then
      # Made by an older switchyard inside the state folder: move it out.
      (umask 077; mv "$state/passphrase" "$file")
      note "moved the secrets passphrase out of the state folder to $file"
    fi
    if [ ! -f "$file" ]; then
      (umask 077; head -c 32 /dev/urandom | base64 > "$file")
      note "created a secrets passphrase in $file for the state in $state (keep it and back it up apart from the state: it decrypts this stack's secrets)"
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$file"
  fi
}

install_deps() {
  # Tests of these scripts set this: `npm ci` empties node_modules, and through a symlinked node_modules
  # (a git worktree sharing another checkout's) it empties the other checkout's too.
  [ -z "${SWITCHYARD_SKIP_NPM_CI:-}" ] || return 0
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    note "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}
