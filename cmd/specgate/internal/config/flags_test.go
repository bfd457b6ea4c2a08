package config

import "flag"

var updateReadme = flag.Bool("update-readme", false, "rewrite the README configuration reference")
