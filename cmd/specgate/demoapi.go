package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/specgate/specgate/specs/demoapi"
)

func cmdDemoAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve the demo API on")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	fmt.Fprintf(stdout, "demo API on http://%s%s (spec: http://%s%s)\n", ln.Addr(), demoapi.BasePath, ln.Addr(), demoapi.SpecPath)
	return demoapi.New(demoapi.Options{Logger: log}).Serve(ctx, ln)
}
