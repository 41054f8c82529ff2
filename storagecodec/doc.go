// Package storagecodec wraps the JenkinsService storage codec so that objects in
// an older storage form (the original server's v1alpha JSON, or any form other
// than the current storage version in protobuf) are counted when the server
// decodes them, and come out of storage as valid objects.
package storagecodec
