/**
 * The EtcdAccess provider's runtime (bundled by provider.ts, like the Upstream's): makes the cluster's
 * users, roles and grants match the plan and enables auth, through `applyAccess` with the operator (root)
 * identity. Create and update do the same idempotent work; delete leaves etcd alone (the users and roles
 * die with the cluster; disabling auth on a live cluster would open it).
 */
import { accessPlanProblems, applyAccess, type AccessPlan } from "../../lib/etcd/access";
import { classifyEtcdError, connectEtcd, connectionProblems, explainEtcdError, type EtcdConnection } from "../../lib/etcd/client";
import { UNKNOWN } from "../upstream/spec";

type Props = Record<string, unknown>;

export const ACCESS_ID = "etcd-access";

/** Anywhere in a value: an input not known yet (preview), which check must not judge. */
const hasUnknown = (v: unknown): boolean => JSON.stringify(v ?? null).includes(UNKNOWN);

export async function check(_olds: Props, news: Props) {
  const failures: { property: string; reason: string }[] = [];
  if (hasUnknown(news.connection) || hasUnknown(news.plan)) return { inputs: news, failures };
  const c = news.connection as Partial<EtcdConnection> | undefined;
  for (const p of connectionProblems(c ?? {})) failures.push({ property: "connection", reason: p });
  if (!c?.tls?.cert) failures.push({ property: "connection", reason: "tls.cert/key: the bootstrap needs the operator's (root) client certificate" });
  const plan = news.plan as AccessPlan | undefined;
  if (!plan || !Array.isArray(plan.roles) || !Array.isArray(plan.users)) failures.push({ property: "plan", reason: "give { roles, users } (see accessPlan)" });
  else for (const p of accessPlanProblems(plan)) failures.push({ property: "plan", reason: p });
  return { inputs: news, failures };
}

export async function diff(_id: string, olds: Props, news: Props) {
  const changes = JSON.stringify(olds.plan) !== JSON.stringify(news.plan)
    || JSON.stringify((olds.connection as EtcdConnection | undefined)?.endpoints) !== JSON.stringify((news.connection as EtcdConnection).endpoints);
  return { changes, replaces: [], deleteBeforeReplace: false };
}

/** Applies the plan, retrying while etcd is still coming up (unreachable or electing), up to waitMs. */
async function apply(inputs: Props): Promise<Props> {
  const conn = inputs.connection as EtcdConnection;
  const plan = inputs.plan as AccessPlan;
  const waitMs = typeof inputs.waitMs === "number" ? inputs.waitMs : 60_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = connectEtcd(conn);
    try {
      const changes = await applyAccess(client, plan);
      return { ...inputs, applied: changes };
    } catch (err) {
      const kind = classifyEtcdError(err);
      if ((kind === "unreachable" || kind === "timeout") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      throw explainEtcdError(err, conn, `bootstrap etcd users and roles (${plan.users.map((u) => u.name).join(", ")})`);
    } finally {
      client.close();
    }
  }
}

export async function create(inputs: Props) {
  return { id: ACCESS_ID, outs: await apply(inputs) };
}

export async function read(id: string, props: Props) {
  return { id, props };
}

export async function update(_id: string, _olds: Props, news: Props) {
  return { outs: await apply(news) };
}

export async function remove(_id: string, _props: Props) {
  /* deliberately nothing: see the header */
}
