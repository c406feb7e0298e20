using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Expt.Dashboard;

/// <summary>
/// The page application: one HTML shell for every page address (the script draws the page from the API), and its
/// static files, all embedded in this assembly.
/// </summary>
internal static class PageEndpoints
{
    private sealed record Asset(byte[] Content, string ContentType, string ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var page in new[] { "/", "/studies/{name}", "/trials/{id}", "/compare" })
        {
            app.MapGet(page, (HttpContext context) => Serve(context, "index.html", cache: false));
        }
        app.MapGet("/static/{**file}", (HttpContext context, string file) => Serve(context, file, cache: true));
    }

    private static IResult Serve(HttpContext context, string file, bool cache)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = cache ? "public, max-age=3600" : "no-cache";
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(PageEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                ".png" => "image/png",
                _ => "text/plain; charset=utf-8",
            };
            assets[name["wwwroot/".Length..]] = new Asset(content, type, "\"" + Convert.ToHexString(SHA256.HashData(content))[..16] + "\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
