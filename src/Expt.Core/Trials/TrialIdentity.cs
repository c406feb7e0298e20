using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Expt.Spec;

namespace Expt.Trials;

/// <summary>
/// Stable trial identity. These formulas are part of Expt's contract (users reproduce seeds outside Expt):
/// <list type="bullet">
/// <item><c>key = hex(SHA-256(canonical_json(params) + "#" + replicate))[0..16]</c></item>
/// <item><c>seed = uint64_be(SHA-256(study_seed + ":" + key)[0..8]) &amp; 0x7FFFFFFFFFFFFFFF</c></item>
/// </list>
/// Canonical JSON: a flat object, keys sorted by code point, no white space, ints as integers, floats as exact
/// decimals with at least one fractional digit (0.1, 1.0), strings JSON-escaped.
/// </summary>
public static class TrialIdentity
{
    /// <summary>The trial key for a parameter point and replicate index.</summary>
    public static string Key(ParamSet parameters, int replicate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Key(parameters.ToCanonicalJson(), replicate);
    }

    /// <summary>The trial key from already canonical JSON.</summary>
    public static string Key(string canonicalJson, int replicate)
    {
        ArgumentNullException.ThrowIfNull(canonicalJson);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson + "#" + replicate.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(hash, 0, 8);
    }

    /// <summary>The trial seed: non-negative, 63 bits, the same on every machine and in every order.</summary>
    public static long Seed(long studySeed, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(studySeed.ToString(CultureInfo.InvariantCulture) + ":" + key));
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(hash) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>A new random 8-hex-digit trial id.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}
