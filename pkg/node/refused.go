package node

import (
	"errors"
	"fmt"

	"github.com/gtmd/gtmd/pkg/cluster"
)

// degradedReason joins why the store is degraded with a stored traffic
// document this node refuses: the node answers, but not with what the
// store holds, until a valid document is stored. The faults themselves
// are in the log, once per revision.
func degradedReason(store string, st *cluster.State) string {
	var rej *cluster.RejectedDocumentError
	if st == nil || !errors.As(st.TrafficError, &rej) {
		return store
	}
	return joinReasons(store, fmt.Sprintf("the traffic document stored at revision %d is refused (invalid; see the log); the one before is served", rej.Revision))
}

// joinReasons joins the non-empty reasons a node is degraded with "; ".
func joinReasons(reasons ...string) string {
	out := ""
	for _, r := range reasons {
		switch {
		case r == "":
		case out == "":
			out = r
		default:
			out += "; " + r
		}
	}
	return out
}
