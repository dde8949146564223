package admin

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Roles a token may hold.
const (
	RoleRead  = "read"
	RoleWrite = "write"
)

// Tokens are the bearer tokens the API accepts, kept as SHA-256 hashes:
// the file that lists them gives away nothing a client could send.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	name string
	role string
	hash [sha256.Size]byte
}

// LoadTokens reads a tokens file: one token a line, NAME ROLE sha256:HEX,
// where HEX is the SHA-256 of the token (printf %s TOKEN | sha256sum) and
// ROLE is read or write; blank lines and lines starting with # are
// skipped. Since whoever can write the file can let themselves in, a file
// that group or others may write is refused.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the tokens file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the tokens file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: the tokens file is a directory", path)
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return nil, fmt.Errorf("%s: the tokens file may be written by group or others (mode %04o): anyone who can write it can let themselves in; run chmod go-w %s", path, perm, path)
	}
	return ParseTokens(path, f)
}

// ParseTokens reads the tokens file format of LoadTokens from r; name is
// the file named in errors. It refuses a file with a malformed line, a
// name or token listed twice, or no token at all.
func ParseTokens(name string, r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want NAME ROLE sha256:HEX, found %d fields", name, n, len(fields))
		}
		e := tokenEntry{name: fields[0], role: fields[1]}
		if e.role != RoleRead && e.role != RoleWrite {
			return nil, fmt.Errorf("%s:%d: token %s: role %q is neither read nor write", name, n, e.name, e.role)
		}
		algo, hexHash, ok := strings.Cut(fields[2], ":")
		if !ok || !strings.EqualFold(algo, "sha256") {
			return nil, fmt.Errorf("%s:%d: token %s: want sha256:HEX, the SHA-256 of the token (printf %%s TOKEN | sha256sum), not the token itself", name, n, e.name)
		}
		sum, err := hex.DecodeString(hexHash)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: token %s: sha256:%s is not 64 hexadecimal digits", name, n, e.name, hexHash)
		}
		copy(e.hash[:], sum)
		if prev, ok := seen[e.name]; ok {
			return nil, fmt.Errorf("%s:%d: token %s is already listed on line %d", name, n, e.name, prev)
		}
		for _, o := range t.entries {
			if bytes.Equal(o.hash[:], e.hash[:]) {
				return nil, fmt.Errorf("%s:%d: token %s has the same hash as token %s on line %d", name, n, e.name, o.name, seen[o.name])
			}
		}
		seen[e.name] = n
		t.entries = append(t.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(t.entries) == 0 {
		return nil, fmt.Errorf("%s: no tokens: every /v1 call would be refused", name)
	}
	return t, nil
}

// HashToken returns the tokens file form of token, sha256:HEX.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// lookup returns the name and role of token, comparing its hash with every
// entry in constant time.
func (t *Tokens) lookup(token string) (name, role string, ok bool) {
	sum := sha256.Sum256([]byte(token))
	for i := range t.entries {
		e := &t.entries[i]
		if subtle.ConstantTimeCompare(sum[:], e.hash[:]) == 1 {
			name, role, ok = e.name, e.role, true
		}
	}
	return name, role, ok
}
