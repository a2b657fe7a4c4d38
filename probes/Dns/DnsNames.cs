namespace OsqueryBpf.Dns;

/// <summary>
/// Mnemonics of DNS record types, classes and response codes (IANA "Domain Name System (DNS) Parameters"),
/// with the RFC 3597 fallbacks <c>TYPEnnn</c> and <c>CLASSnnn</c> for numbers without one.
/// </summary>
public static class DnsNames
{
    /// <summary>Type numbers the parser decodes or names.</summary>
    public static class Types
    {
        /// <summary>IPv4 address.</summary>
        public const ushort A = 1;
        /// <summary>Authoritative name server.</summary>
        public const ushort NS = 2;
        /// <summary>Canonical name.</summary>
        public const ushort CNAME = 5;
        /// <summary>Start of authority.</summary>
        public const ushort SOA = 6;
        /// <summary>Domain name pointer.</summary>
        public const ushort PTR = 12;
        /// <summary>Mail exchange.</summary>
        public const ushort MX = 15;
        /// <summary>Text strings.</summary>
        public const ushort TXT = 16;
        /// <summary>IPv6 address.</summary>
        public const ushort AAAA = 28;
        /// <summary>Service locator.</summary>
        public const ushort SRV = 33;
        /// <summary>Delegation name.</summary>
        public const ushort DNAME = 39;
        /// <summary>EDNS(0) pseudo-record.</summary>
        public const ushort OPT = 41;
        /// <summary>Service binding (RFC 9460).</summary>
        public const ushort SVCB = 64;
        /// <summary>HTTPS service binding (RFC 9460).</summary>
        public const ushort HTTPS = 65;
        /// <summary>Any type (query only).</summary>
        public const ushort ANY = 255;
        /// <summary>Certification authority authorisation (RFC 8659).</summary>
        public const ushort CAA = 257;
    }

    /// <summary>The IN (Internet) class.</summary>
    public const ushort ClassIN = 1;

    // Index = type number for the dense low range; the few higher ones are switched on below.
    private static readonly string?[] LowTypeNames = BuildLowTypeNames();

    private static string?[] BuildLowTypeNames()
    {
        var names = new string?[109];
        void Set(int n, string s) => names[n] = s;
        Set(1, "A"); Set(2, "NS"); Set(3, "MD"); Set(4, "MF"); Set(5, "CNAME"); Set(6, "SOA"); Set(7, "MB");
        Set(8, "MG"); Set(9, "MR"); Set(10, "NULL"); Set(11, "WKS"); Set(12, "PTR"); Set(13, "HINFO");
        Set(14, "MINFO"); Set(15, "MX"); Set(16, "TXT"); Set(17, "RP"); Set(18, "AFSDB"); Set(19, "X25");
        Set(20, "ISDN"); Set(21, "RT"); Set(22, "NSAP"); Set(23, "NSAP-PTR"); Set(24, "SIG"); Set(25, "KEY");
        Set(26, "PX"); Set(27, "GPOS"); Set(28, "AAAA"); Set(29, "LOC"); Set(30, "NXT"); Set(31, "EID");
        Set(32, "NIMLOC"); Set(33, "SRV"); Set(34, "ATMA"); Set(35, "NAPTR"); Set(36, "KX"); Set(37, "CERT");
        Set(38, "A6"); Set(39, "DNAME"); Set(40, "SINK"); Set(41, "OPT"); Set(42, "APL"); Set(43, "DS");
        Set(44, "SSHFP"); Set(45, "IPSECKEY"); Set(46, "RRSIG"); Set(47, "NSEC"); Set(48, "DNSKEY");
        Set(49, "DHCID"); Set(50, "NSEC3"); Set(51, "NSEC3PARAM"); Set(52, "TLSA"); Set(53, "SMIMEA");
        Set(55, "HIP"); Set(56, "NINFO"); Set(57, "RKEY"); Set(58, "TALINK"); Set(59, "CDS"); Set(60, "CDNSKEY");
        Set(61, "OPENPGPKEY"); Set(62, "CSYNC"); Set(63, "ZONEMD"); Set(64, "SVCB"); Set(65, "HTTPS");
        Set(99, "SPF"); Set(104, "NID"); Set(105, "L32"); Set(106, "L64"); Set(107, "LP"); Set(108, "EUI48");
        return names;
    }

    /// <summary>The mnemonic of a record type (A, AAAA, HTTPS, CAA, ...), or <c>TYPEnnn</c> (RFC 3597).</summary>
    public static string TypeName(ushort type)
    {
        if (type < LowTypeNames.Length && LowTypeNames[type] is { } low)
            return low;
        return type switch
        {
            109 => "EUI64",
            249 => "TKEY",
            250 => "TSIG",
            251 => "IXFR",
            252 => "AXFR",
            253 => "MAILB",
            254 => "MAILA",
            255 => "ANY",
            256 => "URI",
            257 => "CAA",
            32768 => "TA",
            32769 => "DLV",
            _ => "TYPE" + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The mnemonic of a class (IN, CH, HS, NONE, ANY), or <c>CLASSnnn</c> (RFC 3597).</summary>
    public static string ClassName(ushort cls) => cls switch
    {
        1 => "IN",
        3 => "CH",
        4 => "HS",
        254 => "NONE",
        255 => "ANY",
        _ => "CLASS" + cls.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The mnemonic of a response code, including EDNS extended codes (BADVERS = 16 and up), or <c>RCODEnnn</c>.
    /// </summary>
    public static string RcodeName(int rcode) => rcode switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => "RCODE" + rcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The mnemonic of an opcode (QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO), or <c>OPCODEn</c>.</summary>
    public static string OpcodeName(int opcode) => opcode switch
    {
        0 => "QUERY",
        1 => "IQUERY",
        2 => "STATUS",
        4 => "NOTIFY",
        5 => "UPDATE",
        6 => "DSO",
        _ => "OPCODE" + opcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
