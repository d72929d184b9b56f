# The gateway image: `commsgw run` (the CLI hosts the same application as src/CommsGateway).
# Base images pinned to patch versions (the SDK and runtime the build machine uses): a rebuild gets the same
# bits; bump them deliberately for security patches.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/CommsGateway.Cli -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0.12 AS runtime
WORKDIR /app
COPY --from=build /app .
# curl for the compose health check (/health/ready answers 200 only when PostgreSQL and RabbitMQ do).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
# The console's key ring directory (a compose volume): owned by the app user, so the volume created from it is too.
RUN mkdir -p /var/lib/commsgw/keys && chown app:app /var/lib/commsgw/keys
USER app
EXPOSE 8080
ENTRYPOINT ["dotnet", "commsgw.dll"]
CMD ["run", "--urls", "http://0.0.0.0:8080"]
