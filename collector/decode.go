package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/github-security-exporter/github-security-exporter/internal/redact"
)

// decodeArray decodes one page of a listing strictly: a JSON array of objects and
// nothing after it. null, trailing data and null (or non-object) elements are errors
// of the page, never an empty page or a phantom item: a broken answer must fail the
// walk, so that the last good counts stay.
func decodeArray[T any](r io.Reader) ([]T, error) {
	dec, err := strictDecoder(r, '[', "array")
	if err != nil {
		return nil, err
	}
	var page []*T
	if err := dec.Decode(&page); err != nil {
		return nil, fmt.Errorf("decoding the page: %w", err)
	}
	if err := atEnd(dec); err != nil {
		return nil, err
	}
	items := make([]T, len(page))
	for i, p := range page {
		if p == nil {
			return nil, fmt.Errorf("element %d of the page is null", i)
		}
		items[i] = *p
	}
	return items, nil
}

// decodeObject decodes an answer that is one JSON object, with nothing after it.
func decodeObject[T any](r io.Reader, v *T) error {
	dec, err := strictDecoder(r, '{', "object")
	if err != nil {
		return err
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return atEnd(dec)
}

// strictDecoder reads the body and checks that it starts with open.
func strictDecoder(r io.Reader, open byte, kind string) (*json.Decoder, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != open {
		return nil, fmt.Errorf("the answer is not a JSON %s (%d bytes, starting %q)", kind, len(data), clipBody(trimmed))
	}
	return json.NewDecoder(bytes.NewReader(trimmed)), nil
}

// atEnd reports an error when anything but white space follows the decoded value.
func atEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// clipBody quotes the start of a body from GitHub in an error message, secrets removed.
func clipBody(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return redact.String(string(b))
}
