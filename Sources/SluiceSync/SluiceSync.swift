// SluiceSync: plan, apply, prune (inventory) and drift detection.
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #6.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
