// Package dnstaplog writes the query log in dnstap (AUTH_QUERY and
// AUTH_RESPONSE messages over Frame Streams), to a file or to a collector
// on a Unix or TCP socket. It takes records from the resolver's query
// path through a bounded queue and never makes that path wait: when the
// queue is full, or the collector is away, records are dropped and
// counted. It must never block Take or Send, and it owns no part of
// answering.
package dnstaplog
