import { describe, expect, it } from "vitest";
import { buildDesiredState } from "../desired";
import { renderNginxPeers } from "../render";
import { buildProxyView } from "../view";
import { parseServersState, stateFromServers } from "./haproxy-runtime";
import { parseNginxPeers } from "./nginx";

// `show servers state` of haproxy 2.6: e1 enabled, e2 `disabled` in the file (admin 5), e3 disabled at run time (1).
const SHOW_SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
2 sy__no_service 1 x 127.0.0.1 2 0 1 1 3 1 0 2 0 0 0 0 - 1 - 0 0 - - 0
3 sy_app 1 e1 127.0.0.1 2 0 1 1 3 1 0 2 0 0 0 0 - 9001 - 0 0 - - 0
3 sy_app 2 e2 127.0.0.1 0 5 3 3 3 1 0 0 8 0 0 0 - 9002 - 0 0 - - 0
3 sy_app 3 e3 127.0.0.1 0 1 2 2 1 1 0 0 0 0 0 0 - 9003 - 0 0 - - 0
`;

describe("reading back what a running proxy routes (restart adoption)", () => {
  it("haproxy: servers of switchyard backends with their admin state and weight", () => {
    expect(parseServersState(SHOW_SERVERS_STATE)).toEqual([
      { backend: "sy_app", server: "e1", host: "127.0.0.1", port: 9001, weight: 1, enabled: true },
      { backend: "sy_app", server: "e2", host: "127.0.0.1", port: 9002, weight: 3, enabled: false },
      { backend: "sy_app", server: "e3", host: "127.0.0.1", port: 9003, weight: 2, enabled: false },
    ]);
    expect([...stateFromServers(parseServersState(SHOW_SERVERS_STATE)).keys()]).toEqual(["sy_app/e1", "sy_app/e2", "sy_app/e3"]);
    expect(parseServersState("Unknown command\n")).toEqual([]);
  });

  it("nginx: the peers lines the agent renders parse back to the enabled endpoints", () => {
    const d = buildDesiredState("/sy", [
      { key: "/sy/services/app/upstream/a", value: "10.0.0.1:80" },
      { key: "/sy/services/app/upstream/b", value: "10.0.0.2:81" },
      { key: "/sy/services/web/upstream/c", value: "10.0.0.3:82" },
    ], 3);
    const view = buildProxyView(d, (id) => ({ health: id === "app/b" ? "pending" : "healthy" }), []);
    expect(parseNginxPeers(renderNginxPeers(view))).toEqual([
      { backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true },
      { backend: "sy_web", server: "c", host: "10.0.0.3", port: 82, enabled: true },
    ]);
    expect(parseNginxPeers("app 0\n")).toEqual([]);
  });
});
