package geo

import (
	"math"

	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
)

// cityRecord is the part of a GeoIP2 City or Country record that Locate uses.
// It decodes itself straight from the mmdb data section, skipping the
// localized names and every other field, so a lookup costs a few string-cache
// hits rather than decoding some forty names into a geoip2.City.
type cityRecord struct {
	country     string
	continent   string
	subdivision string
	lat, lon    float64
	hasLat      bool
	hasLon      bool
}

// readMap walks the map at c, handing each key and value to field, which
// reads the value or skips it and returns the cursor after it. T is the type
// the map decodes into, named in the error when c holds no map.
func readMap[T any](c mmdbdata.Cursor, field func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error)) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, mmdbdata.NormalizeUnmarshalError[T](err)
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			return m.End()
		}
		if next, err = field(key, v); err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
}

// UnmarshalMaxMindDBCursor decodes the record at c (mmdbdata.CursorUnmarshaler).
func (r *cityRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	return readMap[cityRecord](c, func(key []byte, v mmdbdata.Cursor) (next mmdbdata.Cursor, err error) {
		switch string(key) {
		case "country":
			r.country, next, err = readStringField(v, "iso_code")
		case "continent":
			r.continent, next, err = readStringField(v, "code")
		case "subdivisions":
			r.subdivision, next, err = readFirstSubdivision(v)
		case "location":
			next, err = r.readLocation(v)
		default:
			next, err = v.Skip()
		}
		return next, err
	})
}

// readLocation reads latitude and longitude from a location map.
func (r *cityRecord) readLocation(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	return readMap[map[string]any](c, func(key []byte, v mmdbdata.Cursor) (next mmdbdata.Cursor, err error) {
		switch string(key) {
		case "latitude":
			r.lat, next, err = v.ReadFloat()
			r.hasLat = err == nil
		case "longitude":
			r.lon, next, err = v.ReadFloat()
			r.hasLon = err == nil
		default:
			next, err = v.Skip()
		}
		return next, err
	})
}

// readFirstSubdivision returns the iso_code of the first (largest)
// subdivision in a subdivisions array.
func readFirstSubdivision(c mmdbdata.Cursor) (string, mmdbdata.Cursor, error) {
	s, err := c.Slice()
	if err != nil {
		return "", mmdbdata.Cursor{}, mmdbdata.NormalizeUnmarshalError[[]any](err)
	}
	var code string
	var next mmdbdata.Cursor
	for {
		i, v, ok := s.Next(next)
		if !ok {
			break
		}
		if i == 0 {
			code, next, err = readStringField(v, "iso_code")
		} else {
			next, err = v.Skip()
		}
		if err != nil {
			return "", mmdbdata.Cursor{}, err
		}
	}
	end, err := s.End()
	return code, end, err
}

// readStringField returns the string value of field in the map at c, "" when
// the map has no such field.
func readStringField(c mmdbdata.Cursor, field string) (string, mmdbdata.Cursor, error) {
	var value string
	end, err := readMap[map[string]any](c, func(key []byte, v mmdbdata.Cursor) (next mmdbdata.Cursor, err error) {
		if string(key) != field {
			return v.Skip()
		}
		value, next, err = v.ReadString()
		return next, err
	})
	if err != nil {
		return "", mmdbdata.Cursor{}, err
	}
	return value, end, nil
}

// asnRecord is the part of a GeoLite2 ASN (or GeoIP2 ISP) record that Locate uses.
type asnRecord struct {
	asn uint32
}

// UnmarshalMaxMindDBCursor decodes the record at c (mmdbdata.CursorUnmarshaler).
func (r *asnRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	return readMap[asnRecord](c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		if string(key) != "autonomous_system_number" {
			return v.Skip()
		}
		n, next, err := v.ReadUint()
		if err == nil && n <= math.MaxUint32 {
			r.asn = uint32(n)
		}
		return next, err
	})
}
