package dnssec

import (
	"fmt"
	"time"
)

// Status describes a zone's keys and rollover, for `gtmd dnssec status`.
type Status struct {
	Zone     string          `json:"zone"`
	Keys     []KeyStatus     `json:"keys"`
	Rollover *RolloverStatus `json:"rollover,omitempty"`
	// DS is what the parent should hold now, in presentation format,
	// with the parent's DS TTL (the lines DSText prints).
	DS []string `json:"ds"`
}

// KeyStatus is one key: what it is, where it stands, what it signs.
type KeyStatus struct {
	Tag       uint16    `json:"tag"`
	Algorithm string    `json:"algorithm"`
	Role      Role      `json:"role"`
	State     KeyState  `json:"state"`
	Since     time.Time `json:"since"`
	SignsKeys bool      `json:"signs_keys"`
	SignsZone bool      `json:"signs_zone"`
}

// RolloverStatus is the rollover in progress: its step, since when, and
// either when the next step is due or what it waits for.
type RolloverStatus struct {
	Role  Role      `json:"role"`
	Old   uint16    `json:"old"`
	New   uint16    `json:"new"`
	Step  Step      `json:"step"`
	Since time.Time `json:"since"`
	// Due is when the next step comes; zero while Waiting says why not.
	Due     time.Time `json:"due,omitzero"`
	Waiting string    `json:"waiting,omitempty"`
}

// Status describes ks at now under s.
func (ks *KeySet) Status(s Settings, now time.Time) Status {
	st := Status{Zone: ks.Zone, Keys: []KeyStatus{}, DS: []string{}}
	for i := range ks.Keys {
		k := &ks.Keys[i]
		st.Keys = append(st.Keys, KeyStatus{Tag: k.Tag, Algorithm: AlgorithmName(k.Algorithm), Role: k.Role, State: k.State, Since: k.Since, SignsKeys: k.signsKeys(), SignsZone: k.signsZone()})
	}
	for _, ds := range ks.DS(s.DSTTL()) {
		st.DS = append(st.DS, dsLine(ds))
	}
	if r := ks.Rollover; r != nil {
		rs := &RolloverStatus{Role: r.Role, Old: r.Old, New: r.New, Step: r.Step, Since: r.Since}
		if due, ok := r.due(s); ok {
			rs.Due = due
			if !now.Before(due) {
				rs.Waiting = "due: the next step is taken when a node advances the rollover"
			}
		} else {
			rs.Waiting = fmt.Sprintf("waiting for the DS at the parent: put the new DS there, then run gtmd dnssec submitted %s", ks.Zone)
		}
		st.Rollover = rs
	}
	return st
}
