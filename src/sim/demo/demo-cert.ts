/**
 * The TLS identity of the `demo` command's simulated Graph endpoint: a self-signed certificate
 * for 127.0.0.1 and localhost, valid 2026-01-01 to 2046-01-01, with its private key.
 *
 * Why a key in the source is safe here:
 * - it protects nothing: the simulated tenant holds only made-up data, and the demo server
 *   listens on loopback only, for the few seconds the demo runs;
 * - it is trusted only by the demo process, only for requests to the simulated tenant's origin
 *   (see src/commands/demo.ts); nothing is added to Node's or the system's trust store, so a
 *   server elsewhere presenting this certificate is not trusted by anything;
 * - it cannot sign other certificates (basicConstraints CA:FALSE, keyUsage digitalSignature).
 *
 * Why it is shipped rather than generated: the demo runs from the installed package, where the
 * certificate generator of the tests (a devDependency) is absent, and the process has already
 * started, so NODE_EXTRA_CA_CERTS can no longer be set for it.
 */

/** PEM certificate (EC P-256, CN "entra-pim-setup demo (loopback only)"). */
export const DEMO_CERT = `-----BEGIN CERTIFICATE-----
MIIB7zCCAZagAwIBAgIJPJmQwfw8gwMWMAoGCCqGSM49BAMCMFQxLTArBgNVBAMT
JGVudHJhLXBpbS1zZXR1cCBkZW1vIChsb29wYmFjayBvbmx5KTEjMCEGA1UEChMa
ZW50cmEtcGltLXNldHVwIHNpbXVsYXRpb24wHhcNMjYwMTAxMDAwMDAwWhcNNDYw
MTAxMDAwMDAwWjBUMS0wKwYDVQQDEyRlbnRyYS1waW0tc2V0dXAgZGVtbyAobG9v
cGJhY2sgb25seSkxIzAhBgNVBAoTGmVudHJhLXBpbS1zZXR1cCBzaW11bGF0aW9u
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERqpPY6/javtUdsRXFKHtp4q3J/ht
DUDdQnnBRgMp8RWh9hQQ7OlV6XRI9QPLKMwNaSxkfQrA2Xm6zZavLeYRTqNRME8w
DAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUH
AwEwGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IDgJxwHnCRDmxxsiI96Uu4S38BF7AWtylRNrxRdoHUgNAiAsqdGlByOszbv4/MLC
3Kz/yHsTSbUxYetLKm0NZfXUVA==
-----END CERTIFICATE-----
`;

/** PEM private key of DEMO_CERT: not a secret (see above); secret scanners may flag it. */
export const DEMO_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPeBM0lelrpjygfPh
TnX4kbxePMKP3YXRlALyo4u/KDKhRANCAARGqk9jr+Nq+1R2xFcUoe2nircn+G0N
QN1CecFGAynxFaH2FBDs6VXpdEj1A8sozA1pLGR9CsDZebrNlq8t5hFO
-----END PRIVATE KEY-----
`;
