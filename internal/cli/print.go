package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// Tables for people; -o json prints the API's answer instead.

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

func printHealth(w io.Writer, eps []admin.EndpointStatus, now time.Time) error {
	tw := newTable(w)
	// A TARGET column only for documents with endpoints named by
	// hostname.
	targets := slices.ContainsFunc(eps, func(e admin.EndpointStatus) bool { return e.Target != nil })
	header := "SERVICE\tENDPOINT\tSTATUS\tSINCE\tOVERRIDE\tREASON\tNODES"
	if targets {
		header += "\tTARGET"
	}
	fmt.Fprintln(tw, header)
	for _, e := range eps {
		override := "-"
		if e.Override != nil {
			override = e.Override.State
		}
		var nodes []string
		for _, o := range e.Observations {
			n := o.Node + ":" + cmp.Or(o.Status, "?")
			var detail []string
			if o.Latency != "" {
				detail = append(detail, o.Latency)
			}
			if o.Error != "" {
				detail = append(detail, o.Error)
			}
			if len(detail) > 0 {
				n += "(" + strings.Join(detail, " ") + ")"
			}
			nodes = append(nodes, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s", e.Service, e.Endpoint, healthWord(e.Healthy), age(e.Since, now),
			override, cell(e.Reason), cmp.Or(cell(strings.Join(nodes, " ")), "-"))
		if targets {
			fmt.Fprint(tw, "\t"+cmp.Or(targetText(e.Target), "-"))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func printMembers(w io.Writer, ms []member.Member, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tREGION\tREVISION\tVERSION\tDNS\tADMIN\tUP\tLAST SEEN")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, cmp.Or(m.Region, "-"), m.Revision, cmp.Or(m.Version, "-"),
			cmp.Or(strings.Join(m.DNS, ","), "-"), cmp.Or(m.Admin, "-"), age(m.StartedAt, now), ago(m.LastSeen, now))
	}
	return tw.Flush()
}

func printExplanation(w io.Writer, ex *admin.Explanation) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "node:\t%s\n", ex.Node)
	fmt.Fprintf(tw, "query:\t%s %s\n", ex.Name, ex.Type)
	client := cmp.Or(ex.Client.Address, "-")
	if ex.Client.Subnet != "" {
		client += ", subnet " + ex.Client.Subnet
	}
	if loc := location(ex.Client); loc != "" {
		client += ", " + loc
	}
	fmt.Fprintf(tw, "client:\t%s\n", client)
	fmt.Fprintf(tw, "rcode:\t%s\n", ex.Rcode)
	if ex.DNSSEC != nil {
		fmt.Fprintf(tw, "signed:\t%s\n", signedLine(ex.DNSSEC))
	}
	if ex.Service != "" {
		fmt.Fprintf(tw, "service:\t%s\n", ex.Service)
		fmt.Fprintf(tw, "rule:\t%s\n", cmp.Or(ex.Trace.Rule, "-"))
	}
	fmt.Fprintf(tw, "ecs scope:\t/%d\n", ex.Scope)
	if err := tw.Flush(); err != nil {
		return err
	}
	section(w, "answer", ex.Answer)
	section(w, "authority", ex.Authority)
	if len(ex.Endpoints) > 0 {
		fmt.Fprintln(w, "endpoints:")
		tw = newTable(w)
		for _, e := range ex.Endpoints {
			line := "  " + e.ID + "	" + healthWord(e.Healthy)
			if t := targetText(e.Target); t != "" {
				line += "	" + t
			}
			if e.Reason != "" {
				line += "	" + cell(e.Reason)
			}
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(ex.Trace.Steps) > 0 {
		fmt.Fprintln(w, "steps:")
		tw = newTable(w)
		for i, s := range ex.Trace.Steps {
			fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\n", i+1, s.Kind, cmp.Or(s.Endpoint, "-"), cell(s.Detail))
		}
		return tw.Flush()
	}
	return nil
}

// targetText is what an endpoint named by hostname resolves to: name,
// state, the addresses answered now and why the lookup failed, with the
// last good addresses of a failed target apart (a stale one answers
// them); "" for an endpoint with addresses of its own.
func targetText(t *admin.TargetStatus) string {
	if t == nil {
		return ""
	}
	s := t.Name + " " + t.State + " " + cmp.Or(strings.Join(t.Addresses, ","), "-")
	switch {
	case t.Failure != "" && t.LastGood != nil && len(t.Addresses) == 0:
		s += " (" + cell(t.Failure) + "; last good " + strings.Join(t.LastGood.Addresses, ",") + ")"
	case t.Failure != "":
		s += " (" + cell(t.Failure) + ")"
	}
	return s
}

func printExplainAll(w io.Writer, all *admin.ExplainAll) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "NODE\tRCODE\tRULE\tANSWER")
	for _, n := range all.Nodes {
		if n.Explanation == nil {
			msg := n.Error
			if n.Status == admin.PeerFailed || n.Status == "" {
				// The other statuses' messages say which they are.
				msg = "error: " + msg
			}
			fmt.Fprintf(tw, "%s\t-\t-\t%s\n", n.Node, cell(msg))
			continue
		}
		ex := n.Explanation
		var answers []string
		for _, a := range ex.Answer {
			answers = append(answers, rdata(a))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.Node, ex.Rcode, cmp.Or(ex.Trace.Rule, "-"), cmp.Or(strings.Join(answers, " "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if all.Agree && all.Answered < 2 && len(all.Nodes) > 1 {
		// One answer agrees with itself: nothing was compared.
		fmt.Fprintf(w, "agree: - (only %d of %d nodes answered, nothing to compare; list the others in admin.peers to ask them)\n", all.Answered, len(all.Nodes))
	} else if all.Agree && all.Answered < len(all.Nodes) {
		fmt.Fprintf(w, "agree: yes, among the %d of %d nodes that answered\n", all.Answered, len(all.Nodes))
	} else if all.Agree {
		fmt.Fprintln(w, "agree: yes")
	} else {
		fmt.Fprintf(w, "agree: NO: %s\n", all.Disagreement)
	}
	return nil
}

func section(w io.Writer, title string, rrs []string) {
	if len(rrs) == 0 {
		if title == "answer" {
			fmt.Fprintln(w, "answer: (none)")
		}
		return
	}
	fmt.Fprintln(w, title+":")
	for _, rr := range rrs {
		fmt.Fprintln(w, "  "+strings.ReplaceAll(rr, "\t", " "))
	}
}

// rdata is the data of a record in presentation format, the part after
// owner, TTL, class and type.
func rdata(rr string) string {
	f := strings.Fields(rr)
	if len(f) < 5 {
		return rr
	}
	return strings.Join(f[4:], " ")
}

func location(c admin.ExplainClient) string {
	if !c.Located {
		return "not located"
	}
	var parts []string
	for _, p := range []string{c.Subdivision, c.Country, c.Continent} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, "/")
	if c.Network != "" {
		s += " (" + c.Network + ")"
	}
	return s
}

// healthWord is how a table says an endpoint's health: loud when it is
// not healthy.
func healthWord(ok bool) string {
	if ok {
		return "healthy"
	}
	return "UNHEALTHY"
}

// cell keeps a value on one line of a table.
func cell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
}

// age is how long ago t was, for people: 45s, 12m, 3h, 5d; "-" for none.
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return age(t, now) + " ago"
}
