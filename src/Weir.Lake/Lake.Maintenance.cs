namespace Weir.Lake;

public sealed partial class Lake
{
    private Task? _maintenance;

    private void StartMaintenance() => _maintenance = Task.CompletedTask;

    private Task StopMaintenanceAsync() => _maintenance ?? Task.CompletedTask;
}
