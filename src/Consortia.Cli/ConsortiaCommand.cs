using System.CommandLine;
using Consortia.Cli.Commands;

namespace Consortia.Cli;

/// <summary>Builds the root command and dispatches to the sub-commands.</summary>
internal static class ConsortiaCommand
{
    public static RootCommand Create()
    {
        RootCommand root = new("Consortia: federated learning for biomedical consortia — train one model on data that never leaves each site.");
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(ExploreCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TuneCommand.Create());
        root.Subcommands.Add(PrivacyCommands.Create());
        root.Subcommands.Add(RedTeamCommand.Create());
        root.Subcommands.Add(AuditModelCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        foreach (Command command in IdentityCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(DeploymentCommands.Coordinator());
        Command node = new("node", "A site node: enroll it with the coordinator, run it, and decide the jobs that wait for the site officer.") { IdentityCommands.NodeEnroll(), IdentityCommands.NodeCheckIdentity(), DeploymentCommands.NodeRun(), MembershipCommands.NodeLeave() };
        foreach (Command approval in ApprovalCommands.Create())
        {
            node.Subcommands.Add(approval);
        }

        root.Subcommands.Add(node);
        root.Subcommands.Add(DeploymentCommands.Job());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(RosterCommands.Create());
        root.Subcommands.Add(AgreementCommands.Create());
        foreach (Command command in GovernanceCommands.Create())
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    public static int Run(string[] args) =>
        Create().Parse(args).Invoke(new InvocationConfiguration());
}
