package config

// The node file's dnssec section: where this node finds the key that
// unseals the zones' signing keys. The keys are shared through the store;
// the key-encryption key is each node's own to hold, so a copy of the
// store alone signs nothing.

// KEKEnv is the environment variable that, when set, holds the
// key-encryption key in place of dnssec.key_encryption_key_file.
const KEKEnv = "GTMD_DNSSEC_KEK"

// KEKHexLen is the length of a key-encryption key as written in its file
// or in KEKEnv: 32 random bytes (an AES-256 key) as 64 hex characters.
const KEKHexLen = 64

// NodeDNSSEC is this node's part in signing the cluster's zones.
type NodeDNSSEC struct {
	// KeyEncryptionKeyFile holds the key-encryption key, KEKHexLen hex
	// characters and an optional final newline; every node of a cluster
	// needs the same one. A relative path is taken from the node file's
	// directory.
	KeyEncryptionKeyFile string `yaml:"key_encryption_key_file" json:"key_encryption_key_file"`
	// UnsignedFallback serves a signed zone unsigned while this node has
	// no key-encryption key (or not the one that seals the zone's keys);
	// false answers SERVFAIL for the zone instead. Once the parent holds
	// the zone's DS, validating resolvers refuse unsigned answers either
	// way: the fallback keeps the others served.
	UnsignedFallback bool `yaml:"unsigned_fallback" json:"unsigned_fallback"`
}
