package policy

import "testing"

func TestFailover(t *testing.T) {
	va := client("198.51.100.7", 32, locVirginia, "198.51.100.0/24")
	jp := client("2001:db8:ab::1", 56, locJapan, "2001:db8:ab::/48")
	s := compile(t, "failover", svcOpts{}, regions()...)
	run(t, s, []selectCase{
		{name: "primary healthy", c: va, want: []string{"us-east"}, wantRule: "failover: priority 1"},
		{name: "client location does not matter", c: jp, want: []string{"us-east"}},
		{name: "primary down", down: []string{"us-east"}, c: va, want: []string{"us-west"}, wantRule: "failover: priority 2"},
		{name: "two down", down: []string{"us-east", "us-west"}, c: jp, want: []string{"eu-central"}},
		{name: "only last healthy", down: []string{"us-east", "us-west", "eu-central", "ap-northeast", "sa-east"}, c: va, want: []string{"ap-southeast"}},
	})

	// Several endpoints share a priority, listed out of priority order.
	shared := compile(t, "failover", svcOpts{maxAnswers: 2},
		ep("backup", priority(20)),
		ep("a", priority(10)),
		ep("b", priority(10)),
		ep("c", priority(10)),
	)
	run(t, shared, []selectCase{
		{name: "first two of lowest priority in config order", c: va, want: []string{"a", "b"}},
		{name: "unhealthy skipped within priority", down: []string{"a"}, c: va, want: []string{"b", "c"}},
		{name: "one left at lowest priority", down: []string{"a", "c"}, c: va, want: []string{"b"}},
		{name: "whole priority down", down: []string{"a", "b", "c"}, c: va, want: []string{"backup"}, wantRule: "failover: priority 20"},
	})
}
