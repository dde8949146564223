package sizeddoc

import (
	"fmt"
	"strings"
)

// MergeBomb is a service whose endpoints each merge ten copies of the
// one before, twelve levels deep: hours of CPU before merges were
// bounded. Its first endpoint is on line 4.
func MergeBomb() string {
	var b strings.Builder
	b.WriteString("services:\n  - name: www.gtm.test.\n    endpoints:\n      - &e0 {id: a}\n")
	for l := 1; l <= 12; l++ {
		fmt.Fprintf(&b, "      - &e%d {<<: [%s]}\n", l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*e%d, ", l-1), 10), ", "))
	}
	return b.String()
}
