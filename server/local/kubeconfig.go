package local

import (
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const localContextName = "cicd-apiserver-local"

// writeAdminKubeconfig writes a kubeconfig for the admin user of local mode,
// with the CA and the client certificate embedded so that it keeps working
// wherever it is copied.
func writeAdminKubeconfig(path, serverURL string, pki PKI) error {
	ca, err := os.ReadFile(pki.CACert)
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(pki.AdminCert)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(pki.AdminKey)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[localContextName] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: ca}
	cfg.AuthInfos[localAdminName] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[localContextName] = &clientcmdapi.Context{Cluster: localContextName, AuthInfo: localAdminName, Namespace: "default"}
	cfg.CurrentContext = localContextName
	return clientcmd.WriteToFile(*cfg, path)
}
