package e2e

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// secure asks the validating resolver at server q, with RD and DO, and
// wants an answer it validated: AD set, and an rcode of want (NOERROR
// when none is given). SERVFAIL is what Unbound answers for bogus data.
func secure(server string, q ask, timeout time.Duration, want ...int) (*dns.Msg, error) {
	q.rd, q.do = true, true
	if len(want) == 0 {
		want = []int{dns.RcodeSuccess}
	}
	r, _, err := exchange(server, q, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s %s through %s (ecs %v): %w", q.name, dns.TypeToString[q.qtype], server, q.ecs, err)
	}
	switch {
	case !slices.Contains(want, r.Rcode):
		return r, fmt.Errorf("%s %s through %s (ecs %v): %s, want %s with AD", q.name, dns.TypeToString[q.qtype], server, q.ecs, dns.RcodeToString[r.Rcode], rcodes(want))
	case !r.AuthenticatedData:
		return r, fmt.Errorf("%s %s through %s (ecs %v): %s %s without AD: not validated", q.name, dns.TypeToString[q.qtype], server, q.ecs, dns.RcodeToString[r.Rcode], brief(r.Answer))
	}
	return r, nil
}

func rcodes(codes []int) string {
	var s []string
	for _, c := range codes {
		s = append(s, dns.RcodeToString[c])
	}
	return strings.Join(s, " or ")
}

// parentDS returns the DS records the root zone holds for the zone now.
func (s *signedEnv) parentDS() []*dns.DS {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*dns.DS
	for _, line := range s.ds {
		if rr, err := dns.NewRR(line); err == nil {
			if ds, ok := rr.(*dns.DS); ok {
				out = append(out, ds)
			}
		}
	}
	return out
}

// signedBy checks a name server's response r the way a validator does,
// from the DS records the parent holds: the zone's DNSKEY RRset, asked
// of the same server, must be signed by a key one of ds names, and every
// RRset of r's answer and authority sections by a key of that set, each
// signature valid at now. It returns the tags of the keys that signed
// r's RRsets.
func signedBy(server string, r *dns.Msg, ds []*dns.DS, now time.Time) ([]uint16, error) {
	keys, err := zoneKeys(server, ds, now)
	if err != nil {
		return nil, err
	}
	var tags []uint16
	for _, sec := range [][]dns.RR{r.Answer, r.Ns} {
		for _, set := range rrsets(sec) {
			tag, err := verifyRRset(set, sec, keys, now)
			if err != nil {
				return nil, fmt.Errorf("from %s: %w", server, err)
			}
			if !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
		}
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("from %s: nothing signed in the answer or authority section:\n%v", server, r)
	}
	slices.Sort(tags)
	return tags, nil
}

// zoneKeys asks server for the zone's DNSKEY RRset and returns it when a
// key one of ds names signs it.
func zoneKeys(server string, ds []*dns.DS, now time.Time) ([]*dns.DNSKEY, error) {
	kr, _, err := exchange(server, ask{name: zone, qtype: dns.TypeDNSKEY, do: true}, time.Second)
	if err != nil {
		return nil, fmt.Errorf("%s DNSKEY from %s: %w", zone, server, err)
	}
	keys, sigs := splitKeys(kr.Answer)
	if !dnskeyTrusted(keys, sigs, ds, now) {
		return nil, fmt.Errorf("%s DNSKEY from %s (tags %v, signed by %v) is not signed by a key of the parent's DS %v", zone, server, keyTags(keys), sigTags(sigs), dsTags(ds))
	}
	return keys, nil
}

// dnskeyTrusted reports whether a key that one of ds names signs the
// DNSKEY RRset keys.
func dnskeyTrusted(keys []*dns.DNSKEY, sigs []*dns.RRSIG, ds []*dns.DS, now time.Time) bool {
	for _, d := range ds {
		for _, k := range keys {
			if k.KeyTag() != d.KeyTag || !strings.EqualFold(k.ToDS(d.DigestType).Digest, d.Digest) {
				continue
			}
			for _, sig := range sigs {
				if sig.KeyTag == k.KeyTag() && sig.Verify(k, rrs(keys)) == nil && sig.ValidityPeriod(now) {
					return true
				}
			}
		}
	}
	return false
}

// verifyRRset finds in sec an RRSIG over set by one of keys that
// verifies and is valid at now, and returns its key's tag.
func verifyRRset(set []dns.RR, sec []dns.RR, keys []*dns.DNSKEY, now time.Time) (uint16, error) {
	h := set[0].Header()
	var seen []string
	for _, rr := range sec {
		sig, ok := rr.(*dns.RRSIG)
		if !ok || sig.TypeCovered != h.Rrtype || !strings.EqualFold(sig.Hdr.Name, h.Name) {
			continue
		}
		for _, k := range keys {
			if k.KeyTag() != sig.KeyTag {
				continue
			}
			err := sig.Verify(k, set)
			switch {
			case err != nil:
				seen = append(seen, fmt.Sprintf("key %d: %v", sig.KeyTag, err))
			case !sig.ValidityPeriod(now):
				seen = append(seen, fmt.Sprintf("key %d: valid %s to %s", sig.KeyTag, dns.TimeToString(sig.Inception), dns.TimeToString(sig.Expiration)))
			default:
				return sig.KeyTag, nil
			}
		}
		if !slices.ContainsFunc(keys, func(k *dns.DNSKEY) bool { return k.KeyTag() == sig.KeyTag }) {
			seen = append(seen, fmt.Sprintf("key %d is not in the DNSKEY RRset", sig.KeyTag))
		}
	}
	if len(seen) == 0 {
		return 0, fmt.Errorf("%s %s has no RRSIG", h.Name, dns.TypeToString[h.Rrtype])
	}
	return 0, fmt.Errorf("%s %s: no valid RRSIG (%s)", h.Name, dns.TypeToString[h.Rrtype], strings.Join(seen, "; "))
}

// rrsets groups the records of a section by owner and type, leaving out
// the signatures.
func rrsets(sec []dns.RR) [][]dns.RR {
	var out [][]dns.RR
	for _, rr := range sec {
		h := rr.Header()
		if h.Rrtype == dns.TypeRRSIG || h.Rrtype == dns.TypeOPT {
			continue
		}
		i := slices.IndexFunc(out, func(set []dns.RR) bool {
			return set[0].Header().Rrtype == h.Rrtype && strings.EqualFold(set[0].Header().Name, h.Name)
		})
		if i < 0 {
			out = append(out, []dns.RR{rr})
		} else {
			out[i] = append(out[i], rr)
		}
	}
	return out
}

// compactDenial checks a name server's negative answer for name: NOERROR,
// no answer, and one NSEC at the name (RFC 9824). For a name that does
// not exist (qtype 0) the NSEC's next name is \000.name and its bitmap
// holds exactly RRSIG, NSEC and NXNAME; for NODATA its bitmap lacks
// qtype and holds NSEC and RRSIG.
func compactDenial(r *dns.Msg, name string, qtype uint16) error {
	var nsec []*dns.NSEC
	for _, rr := range r.Ns {
		if v, ok := rr.(*dns.NSEC); ok {
			nsec = append(nsec, v)
		}
	}
	switch {
	case r.Rcode != dns.RcodeSuccess:
		return fmt.Errorf("rcode %s, want NOERROR (compact denial)", dns.RcodeToString[r.Rcode])
	case len(r.Answer) != 0:
		return fmt.Errorf("answer %s, want none", brief(r.Answer))
	case len(nsec) != 1 || !strings.EqualFold(nsec[0].Hdr.Name, name):
		return fmt.Errorf("authority %s, want one NSEC at %s", brief(r.Ns), name)
	}
	n := nsec[0]
	types := slices.Clone(n.TypeBitMap)
	slices.Sort(types)
	if qtype == 0 {
		if want := `\000.` + name; !strings.EqualFold(n.NextDomain, want) {
			return fmt.Errorf("NSEC next name %s, want %s", n.NextDomain, want)
		}
		if want := []uint16{dns.TypeRRSIG, dns.TypeNSEC, typeNXNAME}; !slices.Equal(types, want) {
			return fmt.Errorf("NSEC bitmap %s, want RRSIG NSEC NXNAME", typeNames(types))
		}
		return nil
	}
	if slices.Contains(types, qtype) || !slices.Contains(types, dns.TypeNSEC) || !slices.Contains(types, dns.TypeRRSIG) {
		return fmt.Errorf("NSEC bitmap %s for NODATA of %s", typeNames(types), dns.TypeToString[qtype])
	}
	return nil
}

// typeNXNAME is the NSEC bitmap's mark of a name that does not exist in
// compact denial (RFC 9824).
const typeNXNAME = 128

func typeNames(types []uint16) string {
	var s []string
	for _, t := range types {
		s = append(s, dns.Type(t).String())
	}
	return strings.Join(s, " ")
}

func keyTags(keys []*dns.DNSKEY) []uint16 { return tagsOf(keys, (*dns.DNSKEY).KeyTag) }

func sigTags(sigs []*dns.RRSIG) []uint16 {
	return tagsOf(sigs, func(s *dns.RRSIG) uint16 { return s.KeyTag })
}

func dsTags(ds []*dns.DS) []uint16 { return tagsOf(ds, func(d *dns.DS) uint16 { return d.KeyTag }) }

// tagsOf returns the key tags of records, sorted.
func tagsOf[T any](records []T, tag func(T) uint16) []uint16 {
	var out []uint16
	for _, r := range records {
		out = append(out, tag(r))
	}
	slices.Sort(out)
	return out
}
