//go:build tools

// Package cli pins the Pulumi CLI's Go module so `go build` can build its main package from this
// module: `go install module@version` refuses pkg/v3 because its go.mod has replace directives, and
// Go ignores a dependency's replace directives when it is required from here.
package cli

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
