package server

import (
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"

	generatedopenapi "github.com/autobusi/cicd-apiserver/generated/openapi"
	"github.com/autobusi/cicd-apiserver/version"
)

const openAPITitle = "cicd-apiserver"

// applyOpenAPI publishes OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3) from
// the generated definitions, which is what kubectl explain reads.
func applyOpenAPI(c *genericapiserver.Config) {
	namer := openapinamer.NewDefinitionNamer(Scheme)

	c.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(generatedopenapi.GetOpenAPIDefinitions, namer)
	c.OpenAPIConfig.Info.Title = openAPITitle
	c.OpenAPIConfig.Info.Version = version.Get().GitVersion

	c.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(generatedopenapi.GetOpenAPIDefinitions, namer)
	c.OpenAPIV3Config.Info.Title = openAPITitle
	c.OpenAPIV3Config.Info.Version = version.Get().GitVersion
}
