// The osquery extension protocol, written for osquery-bpf from the documented facts in
// shared/design/osquery-protocol.md (sections 1.1 to 1.3). Field ids, types and method names
// must match osqueryd's own IDL exactly: they are the wire contract.

namespace netstd OsqueryBpf.Osquery.Thrift

// Thrift has no typedef for structs declared later, so the structs come first.

/// One osqueryd flag as reported by ExtensionManager.options().
struct InternalOptionInfo {
  1: string value,
  2: string default_value,
  3: string type,
}

/// What an extension tells the manager about itself when it registers.
struct InternalExtensionInfo {
  1: string name,
  2: string version,
  3: string sdk_version,
  4: string min_sdk_version,
}

/// An extension id; osqueryd hands out values in 1..65535, 0 is the manager itself.
typedef i64 ExtensionRouteUUID

/// Plugin request, for example {"action":"generate","context":"{...}"}.
typedef map<string, string> ExtensionPluginRequest

/// Plugin reply rows: table rows, route rows and so on; every value is a string.
typedef list<map<string, string>> ExtensionPluginResponse

typedef map<string, InternalOptionInfo> InternalOptionList
typedef map<string, ExtensionPluginResponse> ExtensionRouteTable
typedef map<string, ExtensionRouteTable> ExtensionRegistry
typedef map<ExtensionRouteUUID, InternalExtensionInfo> InternalExtensionList

enum ExtensionCode {
  EXT_SUCCESS = 0,
  EXT_FAILED = 1,
  EXT_FATAL = 2,
}

/// Result of most calls: code 0 is success, 1 is failure with a message.
struct ExtensionStatus {
  1: i32 code,
  2: string message,
  3: ExtensionRouteUUID uuid,
}

struct ExtensionResponse {
  1: ExtensionStatus status,
  2: ExtensionPluginResponse response,
}

/// Declared by osquery but never sent: no method lists it in a throws clause.
exception ExtensionException {
  1: i32 code,
  2: string message,
  3: ExtensionRouteUUID uuid,
}

/// Served by every extension on <manager socket>.<uuid>.
service Extension {
  ExtensionStatus ping(),
  ExtensionResponse call(1: string registry, 2: string item, 3: ExtensionPluginRequest request),
  void shutdown(),
}

/// Served by osqueryd on its extensions socket.
service ExtensionManager extends Extension {
  InternalExtensionList extensions(),
  InternalOptionList options(),
  ExtensionStatus registerExtension(1: InternalExtensionInfo info, 2: ExtensionRegistry registry),
  ExtensionStatus deregisterExtension(1: ExtensionRouteUUID uuid),
  ExtensionResponse query(1: string sql),
  ExtensionResponse getQueryColumns(1: string sql),
}
