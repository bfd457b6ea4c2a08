package users

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"golang.org/x/term"
)

// maxPasswordLine bounds how much ReadPassword reads from a non-terminal.
const maxPasswordLine = 4096

// ReadPassword reads a new password for the CLI. If in is a terminal it
// prompts on out twice, without echo, and requires both entries to match;
// otherwise (a pipe or file) it reads one line, without its line ending.
// The password must be non-empty and at most 72 bytes (see HashPassword).
// A nil out discards the prompts.
func ReadPassword(in io.Reader, out io.Writer) (string, error) {
	if out == nil {
		out = io.Discard
	}
	if f, ok := in.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		return readTwice(func(prompt string) ([]byte, error) {
			fmt.Fprint(out, prompt)
			pw, err := term.ReadPassword(fd)
			fmt.Fprintln(out)
			return pw, err
		})
	}
	pw, err := readLine(in)
	if err != nil {
		return "", err
	}
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// readTwice asks for the password and its confirmation.
func readTwice(ask func(prompt string) ([]byte, error)) (string, error) {
	first, err := ask("Password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if err := checkPassword(string(first)); err != nil {
		return "", err
	}
	second, err := ask("Repeat password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if subtle.ConstantTimeCompare(first, second) != 1 {
		return "", errors.New("passwords do not match")
	}
	return string(first), nil
}

// readLine reads up to a newline one byte at a time, so nothing after the
// line is consumed from in.
func readLine(in io.Reader) (string, error) {
	var buf []byte
	b := make([]byte, 1)
	for {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(buf) == maxPasswordLine {
				return "", fmt.Errorf("read password: line longer than %d bytes", maxPasswordLine)
			}
			buf = append(buf, b[0])
		}
		if errors.Is(err, io.EOF) {
			if len(buf) == 0 {
				return "", errors.New("read password: no password on standard input")
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
	}
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	return string(buf), nil
}
