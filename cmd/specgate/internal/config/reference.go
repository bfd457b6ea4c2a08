package config

import (
	"fmt"
	"strings"
)

// Reference renders the settings table as Markdown for the README: one row per
// setting with its YAML key, environment variable, flag, default and meaning.
func Reference() string {
	var b strings.Builder
	b.WriteString("| YAML key | environment | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, s := range Settings() {
		key := "`" + s.Key + "`"
		if !s.InFile {
			key = "—"
		}
		def := s.Default
		if def != "" {
			def = "`" + def + "`"
		}
		help := s.Help
		if len(s.Enum) > 0 {
			help += " (" + strings.Join(s.Enum, ", ") + ")"
		}
		fmt.Fprintf(&b, "| %s | `%s` | `--%s` | %s | %s |\n", key, s.Env, s.Flag, def, strings.ReplaceAll(help, "|", "\\|"))
	}
	return b.String()
}
