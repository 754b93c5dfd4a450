// Package pii holds the pii scorer: it finds personal data and secrets in a response
// — e-mail addresses, phone numbers, payment card numbers, US social security numbers,
// IPv4 and IPv6 addresses, IBANs, cloud and API credentials, private keys and JSON Web
// Tokens — and reports each finding with its byte offsets and a redacted form.
//
// Every detector pairs a regular expression (RE2, linear in the input) with a check
// that the match really is what it looks like: a Luhn checksum and an issuer prefix
// for cards, the allocation rules for SSNs, net/netip for IP addresses, the country
// length table and ISO 7064 mod-97 for IBANs, a decodable JSON header for JWTs. A
// string is reported once, as its most specific type.
package pii
