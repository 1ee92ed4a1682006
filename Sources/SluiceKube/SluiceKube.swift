// SluiceKube: the Cluster protocol, KubeCluster and EmbeddedCluster.
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #5.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
