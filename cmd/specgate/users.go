package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/specgate/specgate/oauth/users"
)

// cmdUsers handles `specgate users add NAME --users-file FILE [--scopes a,b]`.
func cmdUsers(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: specgate users add NAME --users-file FILE [--scopes read,write] (password from stdin or a prompt)")
		return errUsage
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("users-file", getenv("SPECGATE_USERS_FILE"), "users file to create or update [$SPECGATE_USERS_FILE]")
	scopeList := fs.String("scopes", "", "comma-separated scopes the user may be granted (default: all)")
	// Accept the name before or after the flags.
	rest := args[1:]
	var name string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" || *file == "" {
		fmt.Fprintln(stderr, "usage: specgate users add NAME --users-file FILE [--scopes read,write]")
		return errUsage
	}
	var scopes []string
	if *scopeList != "" {
		for _, s := range strings.Split(*scopeList, ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
	}
	pw, err := users.ReadPassword(stdin, stderr)
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	if err := users.AddUser(*file, name, pw, scopes); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %q saved in %s\n", name, *file)
	return nil
}
