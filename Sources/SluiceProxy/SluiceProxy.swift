// SluiceProxy: the SwiftNIO data plane (listeners, TLS, RouteTable, filters, upstream pools, stats).
//
// This module is a seam laid by the foundation issue; its contents arrive with issue #7.
// Until then it holds nothing, so nothing can depend on behaviour it does not have.
