// SluiceCanary: the rollout state machine, probes, gates and persisted state.
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #8.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
