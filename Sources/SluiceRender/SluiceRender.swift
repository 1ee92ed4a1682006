// SluiceRender: the kustomization engine over a Snapshot.
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #4.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
