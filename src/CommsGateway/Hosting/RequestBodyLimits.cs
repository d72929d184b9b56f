using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace CommsGateway.Hosting;

/// <summary>An endpoint's largest accepted request body, in bytes (see <see cref="RequestBodyLimits"/>).</summary>
public sealed record BodyLimit(long Bytes);

/// <summary>
/// Every endpoint has a request-body limit: its own (<see cref="WithBodyLimit{TBuilder}"/>) or <see cref="DefaultBytes"/>.
/// A declared Content-Length over it is refused at once (413 problem+json naming the limit); a chunked body is cut off
/// when it passes the limit (Kestrel's MaxRequestBodySize, and a counting stream where the server offers no such
/// feature), so nothing over the limit is ever buffered, parsed or stored.
/// </summary>
public static class RequestBodyLimits
{
    /// <summary>For endpoints that declare nothing: admin JSON bodies are a few kilobytes.</summary>
    public const long DefaultBytes = 64 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(new BodyLimit(bytes)));
        return builder;
    }

    /// <summary>After routing (the endpoint is known), before the endpoint reads its body.</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? DefaultBytes;
        if (context.Request.ContentLength > limit)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge,
                $"The request body is {context.Request.ContentLength.Value.ToString(CultureInfo.InvariantCulture)} bytes; this endpoint accepts at most {limit.ToString(CultureInfo.InvariantCulture)} bytes.",
                new Dictionary<string, object?> { ["limitBytes"] = limit });
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        context.Items[LimitKey] = limit;
        context.Request.Body = new LimitedStream(context.Request.Body, limit);
        await next(context);
    });

    internal const string LimitKey = "commsgw:body_limit";

    /// <summary>Throws the 413 BadHttpRequestException Kestrel would once more than the limit has been read.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit
                ? throw new BadHttpRequestException($"Request body over {limit.ToString(CultureInfo.InvariantCulture)} bytes", StatusCodes.Status413PayloadTooLarge)
                : read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
