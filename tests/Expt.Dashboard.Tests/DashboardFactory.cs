using Expt.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace Expt.Dashboard.Tests;

/// <summary>The dashboard in an in-memory test server over a given store, as <c>expt serve</c> wires it.</summary>
public sealed class DashboardFactory(IExptStore store, DashboardOptions options) : WebApplicationFactory<DashboardFactory>
{
    protected override IHostBuilder CreateHostBuilder() =>
        new HostBuilder().ConfigureWebHost(web => web
            .ConfigureServices(services => services.AddExptDashboard(store, options))
            .Configure(app => app.UseExptDashboard()));

    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseContentRoot(AppContext.BaseDirectory);
}
