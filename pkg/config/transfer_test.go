package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// TestTransferFaults holds each rule of a zone's transfer settings with
// the exact fault it gives, and the documents at its edges that pass.
func TestTransferFaults(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"allowed with a key and networks", head + "    allow_transfer: [{key: xfr-key., networks: [127.0.0.0/8, \"::1\"]}]\n", ""},
		{"notify with allow_transfer", head + "    allow_transfer: [{key: xfr-key, networks: [0.0.0.0/0]}]\n    notify: [\"127.0.0.1:5353\", \"[::1]:53\"]\n", ""},
		{"services left out", head + "    transfer_services: false\n", ""},
		{"key missing", head + "    allow_transfer: [{networks: [127.0.0.0/8]}]\n",
			`t.yaml:7:22: zones[0].allow_transfer[0].key: is required`},
		{"key not a name", head + "    allow_transfer: [{key: \"a b\", networks: [127.0.0.0/8]}]\n",
			`t.yaml:7:28: zones[0].allow_transfer[0].key: "a b" is not a valid domain name (this name is absolute, with or without its trailing dot)`},
		{"no networks", head + "    allow_transfer: [{key: xfr-key.}]\n",
			`t.yaml:7:22: zones[0].allow_transfer[0].networks: needs at least one network (0.0.0.0/0 and ::/0 allow any source)`},
		{"bad network", head + "    allow_transfer: [{key: k., networks: [10.0.0.0/33, example.net]}]\n",
			`t.yaml:7:43: zones[0].allow_transfer[0].networks[0]: "10.0.0.0/33" is not a CIDR prefix or an IP address
t.yaml:7:56: zones[0].allow_transfer[0].networks[1]: "example.net" is not a CIDR prefix or an IP address`},
		{"notify without allow_transfer", head + "    notify: [\"127.0.0.1:53\"]\n",
			`t.yaml:7:13: zones[0].notify: needs allow_transfer: the secondaries it tells of a change could not transfer the zone`},
		{"notify not IP:port", head + "    allow_transfer: [{key: k., networks: [0.0.0.0/0]}]\n    notify: [\"ns2.example.net:53\", \"127.0.0.1\", \"127.0.0.1:0\"]\n",
			`t.yaml:8:14: zones[0].notify[0]: "ns2.example.net:53" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)
t.yaml:8:36: zones[0].notify[1]: "127.0.0.1" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)
t.yaml:8:49: zones[0].notify[2]: "127.0.0.1:0" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)`},
		{"signed zone", head + "    dnssec: {enabled: true}\n    allow_transfer: [{key: k., networks: [0.0.0.0/0]}]\n    notify: [\"127.0.0.1:53\"]\n",
			`t.yaml:8:21: zones[0].allow_transfer: cannot be set on a zone with dnssec enabled: gtmd signs answers online and transfers only unsigned zones (remove allow_transfer and notify, or dnssec)`},
		{"signing off", head + "    dnssec: {enabled: false}\n    allow_transfer: [{key: k., networks: [0.0.0.0/0]}]\n", ""},
		{"transfer_services not a bool", head + "    transfer_services: sometimes\n",
			`t.yaml:7:24: zones[0].transfer_services: must be true or false, not "sometimes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := faultsOf(tc.doc); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// faultsOf is what parsing doc as t.yaml reports, "" when it passes.
func faultsOf(doc string) string {
	if _, err := ParseTraffic("t.yaml", []byte(doc), ""); err != nil {
		return err.Error()
	}
	return ""
}

// TestTransferNormalized: key names become fully qualified lower case,
// addresses single-host prefixes, and transfer_services defaults to on.
func TestTransferNormalized(t *testing.T) {
	doc, err := ParseTraffic("t.yaml", []byte(head+"    allow_transfer: [{key: XFR-Key, networks: [127.0.0.9, 10.1.2.3/8]}]\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	z := &doc.Zones[0]
	if got := z.AllowTransfer[0].Key; got != "xfr-key." {
		t.Errorf("key = %q, want xfr-key.", got)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32"), netip.MustParsePrefix("10.0.0.0/8")}
	if got := z.AllowTransfer[0].Prefixes(); !reflect.DeepEqual(got, want) {
		t.Errorf("prefixes = %v, want %v", got, want)
	}
	if !z.TransfersServices() {
		t.Error("transfer_services left out reads as false; the default is true")
	}
	off := false
	z.TransferServices = &off
	if z.TransfersServices() {
		t.Error("transfer_services: false reads as true")
	}
}

// TestTransferRoundTrips: the transfer settings survive the stored JSON
// every node reads and the YAML and JSON `gtmd get config` prints.
func TestTransferRoundTrips(t *testing.T) {
	src := head + "    allow_transfer: [{key: xfr-key., networks: [127.0.0.0/8]}, {key: other., networks: [\"::1/128\"]}]\n" +
		"    notify: [\"127.0.0.2:5300\"]\n    transfer_services: false\n"
	orig, err := ParseTraffic("t.yaml", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrips(t, orig)
	// The round trips compare whole documents: this one's false must be
	// there to be lost.
	if orig.Zones[0].TransfersServices() {
		t.Error("transfer_services: false was lost in parsing")
	}
	stored, err := EncodeStored(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stored), `"allow_transfer":[{"key":"xfr-key.","networks":["127.0.0.0/8"]}`) {
		t.Errorf("stored form lacks allow_transfer: %s", stored)
	}
}

// TestTSIGKeyFaults holds each rule of the node file's tsig_keys; no
// fault quotes a secret.
func TestTSIGKeyFaults(t *testing.T) {
	const good = "c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=" // 32 bytes
	for _, tc := range []struct{ name, src, want string }{
		{"default algorithm", "tsig_keys: [{name: Xfr-Key, secret: " + good + "}]\n", ""},
		{"each algorithm", "tsig_keys: [{name: a., algorithm: hmac-sha512, secret: " + good + "}, {name: b., algorithm: HMAC-SHA1., secret: " + good + "}]\n", ""},
		{"unknown algorithm", "tsig_keys: [{name: a., algorithm: hmac-md5, secret: " + good + "}]\n",
			`n.yaml:1:35: tsig_keys[0].algorithm: "hmac-md5" is not one of hmac-sha256, hmac-sha512, hmac-sha1`},
		{"no secret", "tsig_keys: [{name: a.}]\n",
			"n.yaml:1:13: tsig_keys[0].secret: is required (base64, e.g. from `openssl rand -base64 32`)"},
		{"secret not base64", "tsig_keys: [{name: a., secret: \"not base64!!\"}]\n",
			`n.yaml:1:32: tsig_keys[0].secret: is not valid base64`},
		{"secret too short", "tsig_keys: [{name: a., secret: c2hvcnQ=}]\n",
			`n.yaml:1:32: tsig_keys[0].secret: is 5 bytes long; a TSIG secret needs at least 16`},
		{"no name", "tsig_keys: [{secret: " + good + "}]\n",
			`n.yaml:1:13: tsig_keys[0].name: is required`},
		{"name twice", "tsig_keys: [{name: a., secret: " + good + "}, {name: A, secret: " + good + "}]\n",
			`n.yaml:1:86: tsig_keys[1].name: key a. is already defined at tsig_keys[0]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNode("n.yaml", []byte(tc.src))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if strings.Contains(got, good) || strings.Contains(got, "c2hvcnQ") {
				t.Errorf("a fault shows the secret: %s", got)
			}
			if err == nil {
				for _, k := range n.TSIGKeys {
					if !strings.HasSuffix(k.Name, ".") || k.Name != strings.ToLower(k.Name) || k.Algorithm == "" {
						t.Errorf("key not normalized: %+v", k)
					}
					if strings.Contains(k.String(), good) {
						t.Errorf("String shows the secret: %s", k)
					}
				}
			}
		})
	}
}
