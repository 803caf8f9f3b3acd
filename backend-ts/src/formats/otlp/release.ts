/**
 * The opentelemetry-proto release whose `profiles/v1development` messages proto/opentelemetry/** implement.
 * v1.10.0 is what Pyroscope (Go modules otlp/profiles v0.3.0) and current collectors and agents send; the
 * older v1.9.0 numbering of Sample (values = 2) is wire-incompatible with it. See docs/otlp.md.
 */
export const OTLP_PROTO_RELEASE = 'v1.10.0';
