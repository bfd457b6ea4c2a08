// Command specgate serves any OpenAPI backend as a remote MCP server.
//
// Usage:
//
//	specgate                      run the built-in demo (same settings as serve)
//	specgate serve [flags]        serve an API's spec at /mcp
//	specgate tools [flags]        convert a spec and print its tools
//	specgate call TOOL 'JSON'     call one tool from the command line
//	specgate config check [FILE]  validate a configuration
//	specgate users add NAME       add a user to a users file
//	specgate demo-api [--listen]  serve only the demo upstream API
//	specgate version              print version information
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
)

// Stamped with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := config.CheckEnv(os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "specgate: %v\n", err)
		os.Exit(2)
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run dispatches a command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && (args[0][0] != '-' || args[0] == "-h" || args[0] == "--help") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, args, stdout, stderr, getenv)
	case "tools":
		err = cmdTools(ctx, args, stdout, stderr, getenv)
	case "call":
		err = cmdCall(ctx, args, stdout, stderr, getenv)
	case "config":
		err = cmdConfig(ctx, args, stdout, stderr, getenv)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args, stdout, stderr, getenv)
	case "users":
		err = cmdUsers(args, stdin, stdout, stderr, getenv)
	case "demo-api":
		err = cmdDemoAPI(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "specgate %s (commit %s, %s)\n", version, commit, goVersion())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "specgate: unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
	if err == nil {
		return 0
	}
	if err == errUsage {
		return 2
	}
	fmt.Fprintf(stderr, "specgate: %v\n", err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprint(w, `specgate serves any OpenAPI backend as a remote MCP server.

Usage:
  specgate                       run the built-in demo API behind specgate
  specgate serve [flags]         serve --spec URL|FILE at /mcp
  specgate tools [flags]         convert --spec URL|FILE and print the tools (--format table|json)
  specgate call --spec URL|FILE TOOL '{"arg": "value"}'
                                 call one tool against the upstream API and print the result
  specgate config check [FILE]   validate a config (file, env, flags) and print what would be served
  specgate users add NAME --users-file FILE [--scopes a,b]
                                 add or update a login user (password from stdin or a prompt)
  specgate demo-api [--listen]   serve only the demo upstream API (spec at /openapi.json)
  specgate healthcheck [--url]    exit 0 when a running specgate's /healthz answers (for containers)
  specgate version               print version, commit and Go version

Run "specgate serve --help" for every setting; each flag is also an environment
variable SPECGATE_* and a key of the YAML file given with --config.
`)
}
