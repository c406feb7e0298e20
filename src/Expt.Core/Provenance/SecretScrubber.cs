using System.Collections;
using System.Text;

namespace Expt.Provenance;

/// <summary>
/// Masks known secret values wherever they turn up in what a trial hands back (its error, results, note, tags, the
/// names of its metrics and artifacts, its logs and the files copied into the store): the values of this process's
/// secret-named environment variables (<c>DB_PASSWORD</c>, <c>*_TOKEN</c>, ...), the secrets other variables hold (a
/// token by its shape, as in <c>GH_PAT=ghp_...</c>; the password of <c>DATABASE_URL</c>), the study's <c>env:</c>
/// secrets, and the secrets found on its command line. A trial echoing its own password to stderr therefore does not
/// put it in the store. Values shorter than <see cref="MinLength"/> are not masked: they would mask ordinary words.
/// </summary>
public sealed class SecretScrubber
{
    /// <summary>The shortest value treated as a secret.</summary>
    public const int MinLength = 6;

    private static readonly byte[] MaskBytes = Encoding.UTF8.GetBytes(Redactor.Mask);

    private readonly string[] _secrets;
    private readonly byte[][] _bytes;

    /// <summary>A scrubber for these values (longest first, so a secret containing another is masked whole).</summary>
    public SecretScrubber(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = secrets.Where(s => s.Length >= MinLength && s != Redactor.Mask).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
        _bytes = _secrets.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public static SecretScrubber None { get; } = new([]);

    /// <summary>How many values are masked.</summary>
    public int Count => _secrets.Length;

    /// <summary>The values of the secret-named variables of an environment, plus <paramref name="more"/>.</summary>
    public static SecretScrubber FromEnvironment(IDictionary variables, IEnumerable<string>? more = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var values = new List<string>();
        var entry = variables.GetEnumerator();
        while (entry.MoveNext())
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                if (Redactor.IsSecretName(name))
                {
                    values.Add(value);
                }
                else if (value.Length <= 64 * 1024)
                {
                    // A variable not named like a secret may still hold one: a token by its shape, a URL's password.
                    values.AddRange(Redactor.SecretsIn(value));
                }
            }
        }
        return new SecretScrubber(values.Concat(more ?? []));
    }

    /// <summary>This scrubber with more values.</summary>
    public SecretScrubber With(IEnumerable<string> more) => new(_secrets.Concat(more));

    /// <summary>The text with every known secret masked.</summary>
    public string Scrub(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Redactor.Mask, StringComparison.Ordinal);
            }
        }
        return text;
    }

    /// <summary>The bytes with every known secret (as UTF-8) masked; the same array when there is none.</summary>
    public byte[] Scrub(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        foreach (var secret in _bytes)
        {
            if (content.AsSpan().IndexOf(secret) < 0)
            {
                continue;
            }
            var output = new List<byte>(content.Length);
            var rest = content.AsSpan();
            int at;
            while ((at = rest.IndexOf(secret)) >= 0)
            {
                output.AddRange(rest[..at]);
                output.AddRange(MaskBytes);
                rest = rest[(at + secret.Length)..];
            }
            output.AddRange(rest);
            content = [.. output];
        }
        return content;
    }

    /// <summary>The longest secret, in UTF-8 bytes (a stream keeps one less than this back, to catch one split across writes).</summary>
    public int LongestBytes => _bytes.Length == 0 ? 0 : _bytes.Max(b => b.Length);

    /// <summary>A stream that writes through to <paramref name="target"/> with every known secret masked, even one split across writes.</summary>
    public Stream Wrap(Stream target) => Count == 0 ? target : new ScrubbingStream(this, target);

    private sealed class ScrubbingStream(SecretScrubber scrubber, Stream target) : Stream
    {
        private byte[] _pending = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            var data = scrubber.Scrub([.. _pending, .. buffer.AsSpan(offset, count)]);
            // Keep back what could be the start of a secret completed by the next write.
            var keep = Math.Min(data.Length, scrubber.LongestBytes - 1);
            target.Write(data, 0, data.Length - keep);
            _pending = data[(data.Length - keep)..];
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }

        public override void Flush()
        {
            target.Write(_pending);
            _pending = [];
            target.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Flush();
                target.Dispose();
            }
            base.Dispose(disposing);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
