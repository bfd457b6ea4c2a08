package convert

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// compositionChain writes a spec whose component schemas S0..S<levels> form
// a chain in which each level lists the next one width times under
// keyword (allOf, anyOf or oneOf). The document is a few KB, but a walk that
// follows every reference without remembering what it saw does
// width^levels steps.
func compositionChain(levels, width int, keyword, bodyMedia string) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    post:\n")
	fmt.Fprintf(&b, "      requestBody:\n        content:\n          %s:\n            schema: {$ref: '#/components/schemas/S0'}\n", bodyMedia)
	b.WriteString("      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/S0'}\n")
	b.WriteString("components:\n  schemas:\n")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "    S%d:\n      %s:\n", i, keyword)
		for j := 0; j < width; j++ {
			fmt.Fprintf(&b, "        - $ref: '#/components/schemas/S%d'\n", i+1)
		}
	}
	fmt.Fprintf(&b, "    S%d: {type: object, properties: {a: {type: string, readOnly: true}, f: {type: string, format: binary}}}\n", levels)
	return b.String()
}

// TestConvertCompositionChainsStayLinear converts specs built to make the
// composition walks (readOnly names of an allOf group, file fields of a form
// body, "is the response an object") exponential. Each conversion must
// finish: with memoized walks it takes milliseconds, without them 64^7 or
// more steps, so the one-minute watchdog only catches that blow-up and is
// not a performance assertion.
func TestConvertCompositionChainsStayLinear(t *testing.T) {
	tests := []struct {
		name          string
		levels, width int
		keyword       string
		media         string
	}{
		{"allOf readOnly group", 10, 64, "allOf", "application/json"},
		{"allOf response object", 7, 64, "allOf", "application/json"},
		{"oneOf response object", 7, 64, "oneOf", "application/json"},
		{"anyOf form file fields", 7, 64, "anyOf", "multipart/form-data"},
		{"allOf form file fields", 7, 64, "allOf", "application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := loadString(t, compositionChain(tt.levels, tt.width, tt.keyword, tt.media))
			done := make(chan error, 1)
			go func() {
				_, err := Convert(doc, Options{})
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Convert: %v", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Convert did not finish within a minute: a composition walk is exponential")
			}
		})
	}
}
