// SluiceModel: Object (an ordered YAML/JSON tree), the Gateway API types, CRD validation and the YAML codec.
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #12.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
