/**
 * What every docker.Container of the program ignores on later updates. `logOpts`: the docker provider reads back
 * the log options the daemon filled in (daemon.json `log-opts`); the program declares none, so without this each
 * `pulumi up` after the first would plan a replacement of every container (kreuzwerker/terraform-provider-docker#873,
 * in the provider version @pulumi/docker 4.11.2 bridges). The program sets no log options of its own.
 */
export const CONTAINER_IGNORE_CHANGES = ["logOpts"];
