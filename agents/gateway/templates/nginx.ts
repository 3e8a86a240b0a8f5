/**
 * Built-in nginx template (handlebars). Routing (Host map, default service) is rendered here and needs a
 * reload when it changes; membership is NOT: a Lua balancer picks peers from a lua_shared_dict that the agent
 * refreshes through a unix-socket admin endpoint (it re-reads {{peersFile}}, which the agent rewrites
 * atomically first, so a later reload or restart starts from the same peers). Keep-alive clients therefore
 * see no reload when backends come and go.
 *
 * A user template (--template) gets the same context; it must keep the admin server and the Lua blocks if it
 * wants runtime membership updates.
 */
export const NGINX_TEMPLATE = String.raw`# Rendered by the switchyard gateway agent (generation {{generation}}). Do not edit: changes are overwritten.
load_module {{modulesDir}}/ndk_http_module.so;
load_module {{modulesDir}}/ngx_http_lua_module.so;
{{#if user}}user {{user}};{{/if}}
worker_processes {{workerProcesses}};
pid {{workDir}}/nginx.pid;
error_log {{workDir}}/nginx-error.log warn;
events { worker_connections 4096; }

http {
  access_log off;
  client_body_temp_path {{workDir}}/tmp/body;
  proxy_temp_path {{workDir}}/tmp/proxy;
  fastcgi_temp_path {{workDir}}/tmp/fastcgi;
  uwsgi_temp_path {{workDir}}/tmp/uwsgi;
  scgi_temp_path {{workDir}}/tmp/scgi;
  keepalive_requests 100000;

  lua_shared_dict switchyard_peers 4m;

  init_by_lua_block {
    -- Peers per service live in the shared dict as "sticky name host port weight ..."; each worker caches the
    -- parsed list until the dict's generation changes.
    switchyard = { cache = {}, rr = {} }
    local dict = ngx.shared.switchyard_peers
    function switchyard.load(path)
      local f, err = io.open(path, "r")
      if not f then return nil, err end
      local text = f:read("*a")
      f:close()
      local seen = {}
      for line in text:gmatch("[^\n]+") do
        local svc, rest = line:match("^(%S+)%s*(.*)$")
        if svc then
          dict:set("svc:" .. svc, rest)
          seen["svc:" .. svc] = true
        end
      end
      for _, k in ipairs(dict:get_keys(0)) do
        if k:sub(1, 4) == "svc:" and not seen[k] then dict:delete(k) end
      end
      return dict:incr("generation", 1, 0)
    end
    -- An incremental update: lines of changed services ("svc sticky name host port weight ...") and
    -- "-svc" for services gone. The agent has already rewritten the peers file to the same end state.
    function switchyard.apply(body)
      for line in body:gmatch("[^\n]+") do
        local gone = line:match("^%-(%S+)$")
        if gone then
          dict:delete("svc:" .. gone)
        else
          local svc, rest = line:match("^(%S+)%s*(.*)$")
          if svc then
            local ok, err = dict:set("svc:" .. svc, rest)
            if not ok then return nil, err end
          end
        end
      end
      return dict:incr("generation", 1, 0)
    end
    function switchyard.peers(svc)
      local gen = dict:get("generation") or 0
      local c = switchyard.cache[svc]
      if c and c.gen == gen then return c end
      local list = { gen = gen, byName = {}, sticky = false }
      local raw = dict:get("svc:" .. svc) or ""
      local t = {}
      for tok in raw:gmatch("%S+") do t[#t + 1] = tok end
      list.sticky = t[1] == "1"
      local i = 2
      while i + 3 <= #t do
        local p = { name = t[i], host = t[i + 1], port = tonumber(t[i + 2]) }
        local w = tonumber(t[i + 3]) or 1
        for _ = 1, w do list[#list + 1] = p end
        list.byName[p.name] = p
        i = i + 4
      end
      switchyard.cache[svc] = list
      return list
    end
    local ok, err = switchyard.load("{{peersFile}}")
    if not ok then ngx.log(ngx.WARN, "switchyard: no peers file yet: ", err) end
  }

  map $host $sy_service {
    hostnames;
    default "{{defaultService}}";
{{#each services}}{{#each hosts}}    {{this}} {{../name}};
{{/each}}{{/each}}  }

  upstream sy_balancer {
    server 0.0.0.1:1;
    balancer_by_lua_block {
      local balancer = require "ngx.balancer"
      local svc = ngx.var.sy_service
      local list = switchyard.peers(svc)
      local n = #list
      -- No endpoint: fail; error_page below answers with a clear 503.
      if n == 0 then return ngx.exit(ngx.ERROR) end
      local peer
      -- get_last_failure() is nil on the first try (cheaper than keeping per-request state in ngx.ctx).
      if balancer.get_last_failure() == nil then
        if n > 1 then balancer.set_more_tries(2) end
        if list.sticky then
          local c = ngx.var.cookie_SERVERID
          if c then peer = list.byName[c] end
        end
      end
      if not peer then
        local i = (switchyard.rr[svc] or 0) % n + 1
        switchyard.rr[svc] = i
        peer = list[i]
        if list.sticky then ngx.ctx.sy_cookie = peer.name end
      end
      local ok, err = balancer.set_current_peer(peer.host, peer.port)
      if not ok then
        ngx.log(ngx.ERR, "switchyard: set_current_peer ", peer.host, ":", peer.port, ": ", err)
        return ngx.exit(502)
      end
    }
    keepalive 64;
  }

  server {
    listen {{listenAddress}}:{{listenPort}} reuseport backlog=4096;
    location / {
      default_type text/plain;
      if ($sy_service = "") {
        return 503 "switchyard: no service is routed for host '$host' and there is no default service\n";
      }
      # Errors nginx itself produces (no endpoint, all tries failed); a backend's own 5xx pass through untouched.
      error_page 500 502 503 504 = @sy_unavailable;
{{#if anySticky}}
      header_filter_by_lua_block {
        local name = ngx.ctx.sy_cookie
        if name then
          local cookie = "SERVERID=" .. name .. "; Path=/"
          local existing = ngx.header["Set-Cookie"]
          if type(existing) == "table" then
            existing[#existing + 1] = cookie
            ngx.header["Set-Cookie"] = existing
          elseif existing then
            ngx.header["Set-Cookie"] = { existing, cookie }
          else
            ngx.header["Set-Cookie"] = cookie
          end
        end
      }
{{/if}}
      proxy_pass http://sy_balancer;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
    }
    location @sy_unavailable {
      default_type text/plain;
      content_by_lua_block {
        local svc = ngx.var.sy_service
        if #switchyard.peers(svc) == 0 then
          ngx.status = 503
          ngx.say("switchyard: service '", svc, "' has no healthy endpoints")
        else
          ngx.status = 502
          ngx.say("switchyard: no endpoint of service '", svc, "' answered")
        end
      }
    }
  }

  # Local-only admin endpoint: the agent calls it after rewriting the peers file.
  server {
    listen unix:{{adminSocket}};
    # An incremental update's body stays in memory (a body in a temp file would not be read below).
    client_max_body_size 64m;
    client_body_buffer_size 64m;
    location = /peers {
      content_by_lua_block {
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        local gen, err
        if body and #body > 0 then gen, err = switchyard.apply(body) else gen, err = switchyard.load("{{peersFile}}") end
        if not gen then
          ngx.status = 500
          ngx.say("cannot load peers: ", err)
          return
        end
        ngx.say(gen)
      }
    }
    # What the shared dict routes now, one "service sticky name host port weight ..." line per service: a new
    # agent adopting this nginx reads it, so endpoints it routes stay routed.
    location = /peers/current {
      content_by_lua_block {
        local dict = ngx.shared.switchyard_peers
        for _, k in ipairs(dict:get_keys(0)) do
          if k:sub(1, 4) == "svc:" then ngx.say(k:sub(5), " ", dict:get(k)) end
        end
      }
    }
    location = /generation {
      content_by_lua_block { ngx.say("{{generation}}") }
    }
  }
}
`;
