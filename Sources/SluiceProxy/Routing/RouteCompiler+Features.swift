extension RouteCompiler {
    /// The Gateway API features (the conformance suite's names) this proxy implements, as a
    /// GatewayClass's `status.supportedFeatures` lists them, sorted. Each has its conformance
    /// tests reproduced in `Tests/SluiceProxyTests`. Not listed: the retry features,
    /// GatewayInfrastructurePropagation and client certificate validation, which Sluice does not
    /// implement.
    static func supportedFeatures(_ addressing: Addressing) -> [String] {
        var features = [
            "Gateway", "GatewayHTTPListenerIsolation", "GatewayHTTPSListenerDetectMisdirectedRequests", "GatewayPort8080",
            "GatewayStaticAddresses", "GRPCRoute", "GRPCRouteNamedRouteRule", "HTTPRoute", "HTTPRoute303RedirectStatusCode", "HTTPRoute307RedirectStatusCode",
            "HTTPRoute308RedirectStatusCode", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
            "HTTPRouteBackendRequestHeaderModification",
            "HTTPRouteBackendTimeout", "HTTPRouteCORS", "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite",
            "HTTPRouteMethodMatching", "HTTPRouteNamedRouteRule", "HTTPRouteParentRefPort", "HTTPRoutePathRedirect",
            "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror",
            "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout",
            "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect", "ListenerSet", "ReferenceGrant",
        ]
        // An IPAddress asked for without a value gets one only from the pool or a specific bind address.
        if addressing.sharedAddress != nil || !addressing.pool.isEmpty { features.append("GatewayAddressEmpty") }
        return features.sorted()
    }
}
