using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace GenAiServerless.Api;

/// <summary>Wiring of the pipeline API for either host: the dispatcher, and one of the two ways callers are verified.</summary>
public static class PipelineApiServiceCollectionExtensions
{
    /// <summary>The dispatcher and its options (section <c>Api</c>). A host adds one authentication below.</summary>
    public static IServiceCollection AddPipelineApi(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration("Api");
        services.AddSingleton<PipelineApi>();
        services.AddProblemDetails();
        return services;
    }

    /// <summary>Azure: Entra ID access tokens for the API's app registration (section <c>Api:EntraId</c>), checked for
    /// issuer (the tenant, v1 or v2 tokens), audience, signature (the tenant's published keys) and lifetime; the
    /// caller's app roles come from the <c>roles</c> claim.</summary>
    public static IServiceCollection AddPipelineApiEntraId(this IServiceCollection services)
    {
        services.AddOptions<EntraIdApiOptions>().BindConfiguration("Api:EntraId").ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.TenantId), "Api:EntraId:TenantId: the tenant that issues the API's tokens is not set")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ClientId), "Api:EntraId:ClientId: the client id of the API's app registration is not set")
            .ValidateOnStart();
        services.AddAuthentication().AddJwtBearer(PipelineApi.AuthenticationScheme, _ => { });
        services.AddOptions<JwtBearerOptions>(PipelineApi.AuthenticationScheme).Configure<IOptions<EntraIdApiOptions>>((o, entra) =>
        {
            EntraIdApiOptions e = entra.Value;
            o.Authority = $"{e.Instance.TrimEnd('/')}/{e.TenantId}/v2.0";
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuers = e.Issuers,
                ValidAudiences = e.Audiences,
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = TimeSpan.FromMinutes(2),
                NameClaimType = "preferred_username",
                RoleClaimType = ApiCaller.RolesClaim,
            };
        });
        return services;
    }

    /// <summary>Local: the stack's own tokens (<see cref="LocalApiTokens"/>), with the same role checks.</summary>
    public static IServiceCollection AddPipelineApiLocalTokens(this IServiceCollection services, LocalApiTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        services.AddSingleton(tokens);
        services.AddAuthentication().AddJwtBearer(PipelineApi.AuthenticationScheme, o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = tokens.ValidationParameters();
        });
        return services;
    }

    /// <summary>Kestrel: every <c>/api/…</c> request goes to the dispatcher with the container's durable client.</summary>
    public static IEndpointConventionBuilder MapPipelineApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Map("/api/{**path}", async context =>
        {
            PipelineApi api = context.RequestServices.GetRequiredService<PipelineApi>();
            IResult result = await api.HandleAsync(context, context.RequestServices.GetRequiredService<DurableTaskClient>());
            await result.ExecuteAsync(context);
        });
    }
}
