package monitoring_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEMatchesDashboard: the variables and panels README.md lists
// under "Dashboard" are exactly the dashboard's, row by row, and the
// README refers to no other variable, so that what a reader looks for is
// there.
func TestREADMEMatchesDashboard(t *testing.T) {
	src, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatal(err)
	}
	var wantVars, wantPanels []string
	for _, v := range d.Templating.List {
		wantVars = append(wantVars, v.Name+" | "+v.Label)
	}
	row := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			row = p.Title
			continue
		}
		wantPanels = append(wantPanels, row+" | "+p.Title)
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := sectionOf(string(readme), "## Dashboard")
	if section == "" {
		t.Fatal(`README.md has no "## Dashboard" section`)
	}
	var gotVars, gotPanels []string
	for _, cells := range tableRows(section) {
		switch {
		case len(cells) == 3 && strings.HasPrefix(cells[0], "`"):
			gotVars = append(gotVars, strings.Trim(cells[0], "`")+" | "+cells[1])
		case len(cells) == 2:
			gotPanels = append(gotPanels, cells[0]+" | "+cells[1])
		default:
			t.Errorf("README.md, Dashboard: a row that is neither a variable nor a panel: %q", cells)
		}
	}
	if !slices.Equal(gotVars, wantVars) {
		t.Errorf("README.md lists the variables (name | label)\n%s\nthe dashboard has\n%s", strings.Join(gotVars, "\n"), strings.Join(wantVars, "\n"))
	}
	if !slices.Equal(gotPanels, wantPanels) {
		t.Errorf("README.md lists the panels (row | title)\n%s\nthe dashboard has\n%s", strings.Join(gotPanels, "\n"), strings.Join(wantPanels, "\n"))
	}

	// Anywhere in the README: "the `x` variable(s)" and $x name the
	// dashboard's variables only.
	names := map[string]bool{}
	for _, v := range d.Templating.List {
		names[v.Name] = true
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile("`\\$?([a-z_]+)`(?: and `\\$?([a-z_]+)`)? variables?"),
		regexp.MustCompile(`\$\{?([a-z_]+)`),
	} {
		for _, m := range re.FindAllStringSubmatch(string(readme), -1) {
			for _, n := range m[1:] {
				if n != "" && !names[n] {
					t.Errorf("README.md names a variable %q the dashboard does not have: %q", n, m[0])
				}
			}
		}
	}
}

// sectionOf returns the text of the Markdown section that starts with the
// line heading, up to the next heading of its level or above.
func sectionOf(doc, heading string) string {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// tableRows returns the cells of every body row of the Markdown tables
// in text: header and separator rows are left out.
func tableRows(text string) [][]string {
	var rows [][]string
	inTable := false
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		if !inTable {
			inTable = true // the header; the separator follows
			continue
		}
		if strings.HasPrefix(line, "| ---") {
			continue
		}
		var cells []string
		for c := range strings.SplitSeq(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestREADMEListsEveryMetric: the README's table of metrics names every
// metric of the exported list, and no other, so that a metric a panel or
// an alert uses is explained there.
func TestREADMEListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, cells := range tableRows(sectionOf(string(readme), "## Metrics")) {
		listed = append(listed, strings.Trim(cells[0], "`"))
	}
	want := slices.Clone(exported)
	slices.Sort(want)
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("README.md's metrics\n%s\nthe exported list (monitoring_test.go)\n%s", strings.Join(listed, "\n"), strings.Join(want, "\n"))
	}
}
