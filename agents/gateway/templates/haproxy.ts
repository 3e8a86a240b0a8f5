/**
 * Built-in haproxy template (handlebars), modelled on 004's confd template: Host ACLs per service, cookie
 * stickiness (`dynamic` cookies, so servers added at runtime get one too), a stats page, and a 503 with a
 * clear message when a backend has no usable server. Servers are rendered with their current state
 * (`disabled` = maintenance) because the agent re-renders this file after every runtime API change: a later
 * reload then starts from exactly what was running.
 */
export const HAPROXY_TEMPLATE = String.raw`# Rendered by the switchyard gateway agent (generation {{generation}}). Do not edit: changes are overwritten.
global
    stats socket {{statsSocket}} mode 600 level admin expose-fd listeners
    stats timeout 30s
    pidfile {{workDir}}/haproxy.pid
    maxconn 4096
{{#if user}}    user {{user}}
    group {{user}}
{{/if}}
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    timeout queue 5s
    option redispatch
    retries 2
    retry-on conn-failure empty-response response-timeout
    option forwardfor

frontend stats
    bind {{statsAddress}}:{{statsPort}}
    stats enable
    stats uri /
    stats refresh 5s

frontend web
    bind {{listenAddress}}:{{listenPort}}
{{#each services}}{{#if hosts.length}}    acl host_{{backend}} hdr(host),field(1,:),lower -m str{{#each hosts}} {{this}}{{/each}}
    use_backend {{backend}} if host_{{backend}}
{{/if}}{{/each}}    default_backend {{#if defaultBackend}}{{defaultBackend}}{{else}}sy__no_service{{/if}}

backend sy__no_service
    http-request return status 503 content-type text/plain string "switchyard: no service is routed for this host and there is no default service"
{{#each services}}

backend {{backend}}
    balance roundrobin
{{#if sticky}}    cookie SERVERID insert indirect nocache dynamic
    dynamic-cookie-key {{backend}}
{{/if}}    http-request return status 503 content-type text/plain string "switchyard: service '{{name}}' has no healthy endpoints" if { nbsrv() eq 0 }
{{#each endpoints}}    server {{name}} {{host}}:{{port}} weight {{weight}}{{#unless enabled}} disabled{{/unless}}
{{/each}}{{/each}}
`;
