package cli

import (
	"flag"
	"fmt"

	"github.com/gtmd/gtmd/pkg/client"
)

func explainFlags(fs *flag.FlagSet, r *run) {
	fs.StringVar(&r.client, "client", "", "the client's address (default: this machine's, as the node sees it)")
	fs.StringVar(&r.ecs, "ecs", "", "an EDNS Client Subnet, such as 198.51.100.0/24")
	fs.BoolVar(&r.allNodes, "all-nodes", false, "ask every node and say whether those that answer agree (exit 1 when they do not; a node that is unreachable or refuses the token is listed, not counted)")
}

// runExplain shows one node's answer, or with --all-nodes every node's,
// failing when they disagree.
func runExplain(r *run, args []string) error {
	if err := wantArgs(args, 1, 2, "NAME [TYPE]"); err != nil {
		return err
	}
	q := client.ExplainQuery{Name: args[0], Client: r.client, ECS: r.ecs}
	if len(args) == 2 {
		q.Type = args[1]
	}
	if !r.allNodes {
		ex, err := r.api.Explain(r.ctx, q)
		if err != nil {
			return err
		}
		if r.output == "json" {
			return r.writeJSON(ex)
		}
		return printExplanation(r.stdout, ex)
	}
	all, err := r.api.ExplainAll(r.ctx, q)
	if err != nil {
		return err
	}
	if r.output == "json" {
		err = r.writeJSON(all)
	} else {
		err = printExplainAll(r.stdout, all)
	}
	if err == nil && !all.Agree {
		err = fmt.Errorf("the nodes disagree: %s", all.Disagreement)
	}
	return err
}
