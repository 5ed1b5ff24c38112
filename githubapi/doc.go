// Package githubapi is the one place where the exporter talks HTTP to GitHub.
//
// A Transport (one per token, shared by every org and source, REST and GraphQL)
// paces requests, waits for rate-limit resets, retries secondary rate limits,
// 5xx answers and network errors with backoff, and records the API-usage
// metrics. A Client walks REST listings by following Link rel="next" URLs
// verbatim. Callers never sleep or retry themselves: they label their requests
// with WithEndpoint (Client.Walk does it for them) and tell "not available"
// answers from other failures with IsNotAvailable.
package githubapi
