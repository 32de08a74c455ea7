package certs

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"time"

	"github.com/caddyserver/certmagic"
)

// Storage keys of the local CA, under the certificate storage. The root
// certificate is what a development machine imports to trust the proxy.
const (
	localRootCertKey = "local-ca/root.crt"
	localRootKeyKey  = "local-ca/root.key"
	localCALock      = "local-ca"
)

const (
	// localRootValidity is long: replacing the root means every machine
	// that imported it must import it again.
	localRootValidity = 10 * 365 * 24 * time.Hour
	// defaultLocalValidity is short enough that renewal is exercised on a
	// development machine, long enough not to churn.
	defaultLocalValidity = 7 * 24 * time.Hour
	// backdate covers clocks a little behind the controller's.
	backdate = time.Minute
)

// localCA issues certificates from a root the controller generated itself.
// It stands in for an ACME CA on machines that cannot reach one (demos,
// development); browsers do not trust it unless its root is imported.
type localCA struct {
	root     *x509.Certificate
	rootPEM  []byte
	key      crypto.Signer
	validity time.Duration
}

// openLocalCA loads the root from storage, generating it on first use.
func openLocalCA(ctx context.Context, storage certmagic.Storage, validity time.Duration) (*localCA, error) {
	if validity <= 0 {
		validity = defaultLocalValidity
	}
	// Two controllers sharing storage must not each generate a root.
	if err := storage.Lock(ctx, localCALock); err != nil {
		return nil, fmt.Errorf("local CA: lock storage: %w", err)
	}
	defer storage.Unlock(context.WithoutCancel(ctx), localCALock)
	certPEM, err := storage.Load(ctx, localRootCertKey)
	if errors.Is(err, fs.ErrNotExist) {
		return createLocalCA(ctx, storage, validity)
	}
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	keyPEM, err := storage.Load(ctx, localRootKeyKey)
	if err != nil {
		return nil, fmt.Errorf("local CA: root key: %w", err)
	}
	return parseLocalCA(certPEM, keyPEM, validity)
}

func createLocalCA(ctx context.Context, storage certmagic.Storage, validity time.Duration) (*localCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "deploy local CA (development only)", Organization: []string{"deploy"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(localRootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("local CA: create root: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	// The key first: a root certificate without its key would be loaded
	// next time and fail, while a lone key is simply replaced.
	if err := storage.Store(ctx, localRootKeyKey, keyPEM); err != nil {
		return nil, fmt.Errorf("local CA: store root key: %w", err)
	}
	if err := storage.Store(ctx, localRootCertKey, certPEM); err != nil {
		return nil, fmt.Errorf("local CA: store root: %w", err)
	}
	return parseLocalCA(certPEM, keyPEM, validity)
}

func parseLocalCA(certPEM, keyPEM []byte, validity time.Duration) (*localCA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("local CA: root certificate or key is not PEM")
	}
	root, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("local CA: root: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("local CA: root key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("local CA: root key cannot sign")
	}
	return &localCA{root: root, rootPEM: certPEM, key: signer, validity: validity}, nil
}

// IssuerKey names the issuer in certmagic's storage layout.
func (ca *localCA) IssuerKey() string { return "local" }

// Issue signs a leaf for the names the CSR asks for. certmagic builds the
// CSR itself from hosts this package allowed, so the names are trusted.
func (ca *localCA) Issue(_ context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("local CA: certificate request: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: firstName(csr)},
		DNSNames:     csr.DNSNames,
		IPAddresses:  csr.IPAddresses,
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(ca.validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, csr.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("local CA: sign: %w", err)
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// The root is not sent: a client either has it already or will not
	// trust it for being in the chain.
	return &certmagic.IssuedCertificate{Certificate: chain}, nil
}

func firstName(csr *x509.CertificateRequest) string {
	if len(csr.DNSNames) > 0 {
		return csr.DNSNames[0]
	}
	if len(csr.IPAddresses) > 0 {
		return csr.IPAddresses[0].String()
	}
	return csr.Subject.CommonName
}

// serial is a random 128-bit serial number, as CAs must use.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}
