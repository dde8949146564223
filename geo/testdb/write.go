package testdb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Schema is the record layout of a test database.
type Schema int

// The record layouts the generator writes.
const (
	// CitySchema is the GeoIP2/GeoLite2 City layout: continent, country,
	// registered_country, subdivisions, city and location.
	CitySchema Schema = iota
	// CountrySchema is the GeoIP2/GeoLite2 Country layout: continent, country
	// and registered_country.
	CountrySchema
	// ASNSchema is the GeoLite2 ASN layout: autonomous_system_number and
	// autonomous_system_organization.
	ASNSchema
)

// File names WriteAll writes into its directory, and that geo/testdata holds.
const (
	CityFile    = "city.mmdb"
	CountryFile = "country.mmdb"
	ASNFile     = "asn.mmdb"
)

// BuildEpoch is the build time written to every test database
// (2024-01-01T00:00:00Z), fixed so that builds are reproducible byte for byte.
const BuildEpoch = 1704067200

// Options chooses what Write writes besides the schema.
type Options struct {
	// DatabaseType is the metadata database_type, e.g. "GeoLite2-City",
	// "DBIP-City-Lite" or "GeoLite2-ASN".
	DatabaseType string
	// IPv4Only writes an IPv4 tree (ip_version 4) holding the IPv4 networks only.
	IPv4Only bool
}

// WriteCity writes the City database ("GeoLite2-City") to path.
func WriteCity(path string) error {
	return Write(path, CitySchema, Options{DatabaseType: "GeoLite2-City"})
}

// WriteCountry writes the Country database ("GeoLite2-Country") to path.
func WriteCountry(path string) error {
	return Write(path, CountrySchema, Options{DatabaseType: "GeoLite2-Country"})
}

// WriteASN writes the ASN database ("GeoLite2-ASN") to path.
func WriteASN(path string) error {
	return Write(path, ASNSchema, Options{DatabaseType: "GeoLite2-ASN"})
}

// WriteAll writes CityFile, CountryFile and ASNFile into dir, which must exist.
func WriteAll(dir string) error {
	return errors.Join(
		WriteCity(filepath.Join(dir, CityFile)),
		WriteCountry(filepath.Join(dir, CountryFile)),
		WriteASN(filepath.Join(dir, ASNFile)),
	)
}

// Write writes a database of the given schema and options to path,
// replacing any file there.
func Write(path string, schema Schema, opts Options) error {
	ipVersion := 6
	if opts.IPv4Only {
		ipVersion = 4
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            opts.DatabaseType,
		Description:             map[string]string{"en": "gtmd geo test database, not real data"},
		Languages:               []string{"en"},
		IPVersion:               ipVersion,
		RecordSize:              24,
		BuildEpoch:              BuildEpoch,
		IncludeReservedNetworks: true, // 198.18.0.0/15 and 2001:db8::/32 are reserved ranges
	})
	if err != nil {
		return fmt.Errorf("testdb: new %s tree: %w", opts.DatabaseType, err)
	}
	insert := func(prefix netip.Prefix, value mmdbtype.DataType) error {
		if opts.IPv4Only && !prefix.Addr().Is4() {
			return nil
		}
		if err := tree.Insert(ipNet(prefix), value); err != nil {
			return fmt.Errorf("testdb: insert %s into %s: %w", prefix, opts.DatabaseType, err)
		}
		return nil
	}
	switch schema {
	case CitySchema, CountrySchema:
		for _, n := range Networks() {
			if err := insert(n.Prefix, locationRecord(n, schema == CitySchema)); err != nil {
				return err
			}
		}
	case ASNSchema:
		for _, n := range ASNNetworks() {
			rec := mmdbtype.Map{
				"autonomous_system_number":       mmdbtype.Uint32(n.ASN),
				"autonomous_system_organization": mmdbtype.String(n.Org),
			}
			if err := insert(n.Prefix, rec); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("testdb: write %q: unknown schema %d", path, schema)
	}

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("testdb: write %s to %q: %w", opts.DatabaseType, path, err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("testdb: write %s to %q: %w", opts.DatabaseType, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("testdb: write %s to %q: %w", opts.DatabaseType, path, err)
	}
	return nil
}

// locationRecord is the City (withCity) or Country record of n.
func locationRecord(n Network, withCity bool) mmdbtype.Map {
	rec := mmdbtype.Map{}
	if n.Continent != "" {
		rec["continent"] = mmdbtype.Map{
			"code":  mmdbtype.String(n.Continent),
			"names": names(continentName(n.Continent)),
		}
	}
	if n.Country != "" {
		rec["country"] = countryRecord(n.Country)
	}
	switch {
	case n.RegisteredCountry != "":
		rec["registered_country"] = countryRecord(n.RegisteredCountry)
	case n.Country != "":
		rec["registered_country"] = countryRecord(n.Country)
	}
	if !withCity {
		return rec
	}
	if n.Subdivision != "" {
		rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{
			"iso_code": mmdbtype.String(n.Subdivision),
		}}
	}
	if n.City != "" {
		rec["city"] = mmdbtype.Map{"names": names(n.City)}
	}
	if n.HasCoords {
		rec["location"] = mmdbtype.Map{
			"latitude":        mmdbtype.Float64(n.Lat),
			"longitude":       mmdbtype.Float64(n.Lon),
			"accuracy_radius": mmdbtype.Uint16(20),
		}
	}
	return rec
}

func countryRecord(code string) mmdbtype.Map {
	return mmdbtype.Map{
		"iso_code": mmdbtype.String(code),
		"names":    names(countryName(code)),
	}
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en)}
}

func continentName(code string) string {
	switch code {
	case "AF":
		return "Africa"
	case "AN":
		return "Antarctica"
	case "AS":
		return "Asia"
	case "EU":
		return "Europe"
	case "NA":
		return "North America"
	case "OC":
		return "Oceania"
	case "SA":
		return "South America"
	}
	return code
}

func countryName(code string) string {
	switch code {
	case "AU":
		return "Australia"
	case "BR":
		return "Brazil"
	case "CA":
		return "Canada"
	case "DE":
		return "Germany"
	case "FR":
		return "France"
	case "GB":
		return "United Kingdom"
	case "IN":
		return "India"
	case "JP":
		return "Japan"
	case "SG":
		return "Singapore"
	case "US":
		return "United States"
	case "ZA":
		return "South Africa"
	}
	return code
}

// ipNet converts p to the form mmdbwriter inserts: a 4-byte address for IPv4.
func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
